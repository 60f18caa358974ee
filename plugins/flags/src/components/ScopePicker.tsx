import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { cleanValues } from './flagText';

/**
 * A chip picker for one scope axis: pick from the options or type a value
 * and press Enter. Read-only, it shows the chips alone.
 */
export function ScopePicker(props: {
  label: string;
  value: string[];
  options: string[];
  readOnly?: boolean;
  onChange: (value: string[]) => void;
}) {
  const { label, value, options, readOnly, onChange } = props;
  const testId = `scope-${label.toLocaleLowerCase('en-US')}`;
  if (readOnly) {
    return (
      <Box mb={1} data-testid={testId}>
        <Typography variant="caption" color="textSecondary">
          {label}
        </Typography>
        <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {value.length === 0 ? (
            <Typography variant="body2">any</Typography>
          ) : (
            value.map(v => <Chip key={v} size="small" label={v} />)
          )}
        </Box>
      </Box>
    );
  }
  return (
    <Autocomplete<string, true, false, true>
      multiple
      freeSolo
      filterSelectedOptions
      size="small"
      options={options}
      value={value}
      onChange={(_event, next) => onChange(cleanValues(next))}
      renderTags={(values, getTagProps) =>
        values.map((v, index) => (
          <Chip size="small" label={v} {...getTagProps({ index })} key={v} />
        ))
      }
      renderInput={params => (
        <TextField
          {...params}
          label={label}
          variant="outlined"
          margin="dense"
          placeholder={value.length ? undefined : 'Any — type or pick'}
        />
      )}
      data-testid={testId}
    />
  );
}
