import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';

/**
 * One filter of a list page: a select with "All" (the empty value) and the
 * given options. `id` names it: the label is `<id>-label`, the test id
 * `<id>`. Options given as strings show as they are. `all={false}`: a
 * choice that always has a value (an interval, a sort order), no "All".
 */
export function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  options: ReadonlyArray<string | { label: string; value: string }>;
  onChange: (value: string) => void;
  help?: string;
  all?: boolean;
}) {
  const { id, label, value, options, onChange, help, all = true } = props;
  return (
    <FormControl fullWidth>
      <InputLabel id={`${id}-label`}>{label}</InputLabel>
      <Select
        labelId={`${id}-label`}
        value={value}
        onChange={e => onChange(String(e.target.value))}
        data-testid={id}
      >
        {all && (
          <MenuItem value="">
            <em>All</em>
          </MenuItem>
        )}
        {options.map(o => {
          const option = typeof o === 'string' ? { label: o, value: o } : o;
          return (
            <MenuItem key={option.value} value={option.value}>
              {option.label}
            </MenuItem>
          );
        })}
      </Select>
      {help && <FormHelperText>{help}</FormHelperText>}
    </FormControl>
  );
}
