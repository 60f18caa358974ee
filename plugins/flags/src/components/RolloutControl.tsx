import { useEffect, useId, useState } from 'react';
import Box from '@material-ui/core/Box';
import InputAdornment from '@material-ui/core/InputAdornment';
import Slider from '@material-ui/core/Slider';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { roundPct } from './flagText';

/**
 * The rollout percentage: a slider 0–100 in steps of 0.01 and a numeric
 * field taking two decimals. Both edit the same value; a number being typed
 * is kept as typed until it parses.
 */
export function RolloutControl(props: {
  pct: number;
  disabled?: boolean;
  onChange: (pct: number) => void;
}) {
  const { pct, disabled, onChange } = props;
  const [text, setText] = useState(String(pct));
  const id = useId();

  // follow the slider (and resets), but leave "12." alone while typing
  useEffect(() => {
    setText(t => (Number(t) === pct && t.trim() !== '' ? t : String(pct)));
  }, [pct]);

  return (
    <Box>
      <Typography id={`${id}-label`} variant="subtitle2" gutterBottom>
        Rollout
      </Typography>
      <Box display="flex" alignItems="center" style={{ gap: 24 }}>
        <Box flex={1} px={1}>
          <Slider
            aria-labelledby={`${id}-label`}
            value={pct}
            min={0}
            max={100}
            step={0.01}
            disabled={disabled}
            valueLabelDisplay="auto"
            onChange={(_event, value) =>
              onChange(roundPct(Array.isArray(value) ? value[0] : value))
            }
            marks={[
              { value: 0, label: '0' },
              { value: 50, label: '50' },
              { value: 100, label: '100' },
            ]}
          />
        </Box>
        <TextField
          id={`${id}-pct`}
          label="Rollout %"
          type="number"
          size="small"
          variant="outlined"
          style={{ width: 130 }}
          disabled={disabled}
          value={text}
          inputProps={{ min: 0, max: 100, step: 0.01 }}
          InputProps={{
            endAdornment: <InputAdornment position="end">%</InputAdornment>,
          }}
          onChange={e => {
            const next = e.target.value;
            setText(next);
            const n = Number(next);
            if (next.trim() !== '' && Number.isFinite(n)) {
              onChange(roundPct(n));
            }
          }}
          onBlur={() => setText(String(pct))}
        />
      </Box>
    </Box>
  );
}
