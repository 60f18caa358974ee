import { useEffect, useState } from 'react';
import { useAppSearchParams } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import useDebounce from 'react-use/esm/useDebounce';
import {
  FILTER_PARAMS,
  FilterValues,
  QUICK_RANGES,
  isoToLocalInput,
  localInputToIso,
} from './filters';
import { FilterSelect } from '@internal/plugin-dezky-react';

/** The quick picks for the action filter (exact, or a prefix ending in `*`). */
export const ACTION_PICKS: Array<{ label: string; value: string }> = [
  { label: 'All', value: '' },
  { label: 'Tenants', value: 'tenant.*' },
  { label: 'Partners', value: 'partner.*' },
  { label: 'Sign-in', value: 'portal.user.*' },
  { label: 'Catalog', value: 'catalog.*' },
  { label: 'Authentik', value: 'authentik.*' },
  { label: 'Mail', value: 'stalwart.*' },
  { label: 'Files', value: 'ocis.*' },
];

/** Where events come from. */
export const SOURCES: Array<{ label: string; value: string }> = [
  { label: 'Portal', value: 'portal' },
  { label: 'Catalog', value: 'catalog' },
  { label: 'Authentik', value: 'authentik' },
  { label: 'Mail (Stalwart)', value: 'stalwart' },
  { label: 'Files (OCIS)', value: 'ocis' },
  { label: 'Stripe', value: 'stripe' },
];

/**
 * The Audit page's filters, read from and written to the URL's query string,
 * so a filtered view can be linked and survives a reload.
 */
export function useAuditFilters() {
  const [search, setSearch] = useAppSearchParams();
  const values = Object.fromEntries(
    FILTER_PARAMS.map(p => [p, search.get(p) ?? '']),
  ) as FilterValues;
  const set = (updates: Partial<FilterValues>) => {
    setSearch(
      previous => {
        const next = new URLSearchParams(previous);
        for (const [param, value] of Object.entries(updates)) {
          if (value) next.set(param, value);
          else next.delete(param);
        }
        return next;
      },
      { replace: true },
    );
  };
  return { values, set };
}

/**
 * A text field that writes to the URL once typing pauses, so each keystroke
 * does not start a request; it follows the URL when that changes elsewhere.
 */
function DebouncedField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  placeholder?: string;
}) {
  const { label, value, onChange, testId, placeholder } = props;
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useDebounce(
    () => {
      if (text !== value) onChange(text);
    },
    400,
    [text],
  );
  return (
    <TextField
      fullWidth
      label={label}
      placeholder={placeholder}
      value={text}
      onChange={e => setText(e.target.value)}
      inputProps={{ 'aria-label': label, 'data-testid': testId }}
    />
  );
}

function ChipRow(props: {
  label: string;
  picks: Array<{ label: string; value: string }>;
  selected: string;
  onPick: (value: string) => void;
  testId: string;
}) {
  const { label, picks, selected, onPick, testId } = props;
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      alignItems="center"
      style={{ gap: 8 }}
      data-testid={testId}
    >
      <Typography variant="body2" color="textSecondary">
        {label}
      </Typography>
      {picks.map(p => (
        <Chip
          key={p.label}
          label={p.label}
          size="small"
          clickable
          color={selected === p.value ? 'primary' : 'default'}
          variant={selected === p.value ? 'default' : 'outlined'}
          onClick={() => onPick(p.value)}
          aria-pressed={selected === p.value}
        />
      ))}
    </Box>
  );
}

/** Where the events are read from: the live table, or restored archive batches. */
export const TIER_PICKS: Array<{ label: string; value: string }> = [
  { label: 'Hot', value: '' },
  { label: 'Archived (restored)', value: 'archive' },
];

const RANGE_PICKS = [
  { label: 'All time', value: '' },
  ...Object.entries(QUICK_RANGES).map(([value, r]) => ({
    label: r.label,
    value,
  })),
];

/** The filter bar of the Audit page. */
export function AuditFilterBar(props: {
  values: FilterValues;
  set: (updates: Partial<FilterValues>) => void;
}) {
  const { values, set } = props;
  // a quick range shows as selected only when no explicit since/until is set
  const rangeSelected =
    values.range || (values.since || values.until ? 'custom' : '');
  return (
    <Box mb={2} data-testid="audit-filters">
      <Box mb={1}>
        <ChipRow
          label="Tier"
          picks={TIER_PICKS}
          selected={values.tier === 'archive' ? 'archive' : ''}
          onPick={tier => set({ tier })}
          testId="audit-tier-picks"
        />
      </Box>
      <Box mb={1}>
        <ChipRow
          label="Action"
          picks={ACTION_PICKS}
          selected={values.action}
          onPick={action => set({ action })}
          testId="audit-action-picks"
        />
      </Box>
      <Box mb={1}>
        <ChipRow
          label="Time"
          picks={RANGE_PICKS}
          selected={rangeSelected}
          onPick={range => set({ range, since: '', until: '' })}
          testId="audit-range-picks"
        />
      </Box>
      <Grid container spacing={2} alignItems="flex-end">
        <Grid item xs={12} md={4}>
          <DebouncedField
            label="Search (action, resource, actor, tenant)"
            value={values.q}
            onChange={q => set({ q })}
            testId="audit-filter-q"
          />
        </Grid>
        <Grid item xs={12} sm={6} md={2}>
          <DebouncedField
            label="Action"
            placeholder="tenant.*"
            value={values.action}
            onChange={action => set({ action })}
            testId="audit-filter-action"
          />
        </Grid>
        <Grid item xs={6} sm={3} md={2}>
          <FilterSelect
            id="audit-filter-outcome"
            label="Outcome"
            value={values.outcome}
            options={[
              { label: 'Success', value: 'success' },
              { label: 'Failure', value: 'failure' },
            ]}
            onChange={outcome => set({ outcome })}
          />
        </Grid>
        <Grid item xs={6} sm={3} md={2}>
          <FilterSelect
            id="audit-filter-source"
            label="Source"
            value={values.source}
            options={SOURCES}
            onChange={source => set({ source })}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={2}>
          <DebouncedField
            label="Actor (email or ref)"
            value={values.actor}
            onChange={actor => set({ actor })}
            testId="audit-filter-actor"
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <TextField
            fullWidth
            type="datetime-local"
            label="Since"
            InputLabelProps={{ shrink: true }}
            value={values.range ? '' : isoToLocalInput(values.since)}
            onChange={e =>
              set({ since: localInputToIso(e.target.value), range: '' })
            }
            inputProps={{
              'aria-label': 'Since',
              'data-testid': 'audit-filter-since',
            }}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <TextField
            fullWidth
            type="datetime-local"
            label="Until"
            InputLabelProps={{ shrink: true }}
            value={values.range ? '' : isoToLocalInput(values.until)}
            onChange={e =>
              set({ until: localInputToIso(e.target.value), range: '' })
            }
            inputProps={{
              'aria-label': 'Until',
              'data-testid': 'audit-filter-until',
            }}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <DebouncedField
            label="Tenant"
            placeholder="tenant:default/acme"
            value={values.tenant}
            onChange={tenant => set({ tenant })}
            testId="audit-filter-tenant"
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <DebouncedField
            label="Partner"
            placeholder="partner:default/nordlicht-it"
            value={values.partner}
            onChange={partner => set({ partner })}
            testId="audit-filter-partner"
          />
        </Grid>
      </Grid>
    </Box>
  );
}
