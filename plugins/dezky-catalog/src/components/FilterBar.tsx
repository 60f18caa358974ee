import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import { useSearchParams } from 'react-router-dom';
import { FilterSelect } from '@internal/plugin-dezky-react';

/** A select filter: its URL parameter, label and choices. */
export interface SelectFilter {
  param: string;
  label: string;
  options: Array<{ value: string; label: string }>;
}

/**
 * Reads the filters of a list page from the URL (so a filtered view can be
 * linked and survives a reload) and offers a search box plus one select per filter.
 */
export function useUrlFilters(params: string[]) {
  const [search, setSearch] = useSearchParams();
  const values = Object.fromEntries(
    ['q', ...params].map(p => [p, search.get(p) ?? '']),
  ) as Record<string, string>;
  const set = (param: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(param, value);
    else next.delete(param);
    setSearch(next, { replace: true });
  };
  return { values, set };
}

export function FilterBar(props: {
  values: Record<string, string>;
  set: (param: string, value: string) => void;
  filters: SelectFilter[];
  searchLabel: string;
}) {
  const { values, set, filters, searchLabel } = props;
  return (
    <Grid
      container
      spacing={2}
      alignItems="flex-end"
      style={{ marginBottom: 16 }}
    >
      <Grid item xs={12} md={4}>
        <TextField
          fullWidth
          label={searchLabel}
          value={values.q}
          onChange={e => set('q', e.target.value)}
          inputProps={{
            'aria-label': searchLabel,
            'data-testid': 'filter-search',
          }}
        />
      </Grid>
      {filters.map(f => (
        <Grid item xs={12} sm={4} md={2} key={f.param}>
          <FilterSelect
            id={`filter-${f.param}`}
            label={f.label}
            value={values[f.param]}
            options={f.options}
            onChange={value => set(f.param, value)}
          />
        </Grid>
      ))}
    </Grid>
  );
}
