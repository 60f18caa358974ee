import { useMemo } from 'react';
import { Content, ContentHeader } from '@backstage/core-components';
import { useApi, useAppSearchParams } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Grid from '@material-ui/core/Grid';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  billingPayoutManagePermission,
  OPERATOR_REPORTS,
  REPORT_IDS,
  REPORT_TITLES,
  ReportId,
} from '@internal/plugin-billing-common';
import { FilterSelect, PageState } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage } from '../../api';
import {
  useCurrencyOptions,
  usePartnerOptions,
  withCurrent,
} from '../filterOptions';
import { isDay } from '../days';
import { useKeyedLoad } from '../useKeyedLoad';
import { ReportChart } from './ReportChart';
import {
  DIRECT,
  readReportView,
  reportFilters,
  ReportView,
  reportViewParams,
  savedFilters,
  TOP_LIMITS,
  viewOfSaved,
} from './reportQuery';
import { ReportTable } from './ReportTable';
import { SavedReports } from './SavedReports';

/** Reports drawn from the lifecycle events rather than the MRR snapshots. */
const EVENT_REPORTS: readonly ReportId[] = ['growth', 'cohorts'];

/** Why a report has no rows, by where its rows come from. */
function emptyState(report: ReportId) {
  return EVENT_REPORTS.includes(report)
    ? {
        title: 'No tenant events in this range yet',
        description:
          'Growth and cohorts count the tenants’ lifecycle events (activated, cancelled): widen the range, or clear a filter.',
      }
    : {
        title: 'No snapshots in this range yet',
        description:
          'The MRR history starts on the day billing first ran: pick a later range, or clear a filter.',
      };
}

/** A day field of the range: the default day shown when the URL names none. */
function DayField(props: {
  id: string;
  label: string;
  value: string;
  shown: string;
  error?: string;
  onChange: (day: string) => void;
}) {
  const { id, label, value, shown, error, onChange } = props;
  return (
    <TextField
      fullWidth
      id={id}
      type="date"
      label={label}
      value={value || shown}
      onChange={e => {
        const next = e.target.value;
        if (next === '' || isDay(next)) onChange(next);
      }}
      error={Boolean(error)}
      helperText={error ?? (value ? ' ' : 'Default: the last 12 months')}
      InputLabelProps={{ shrink: true }}
    />
  );
}

/**
 * The Reports page: a tab per report (the partner leaderboard for
 * operators only), its range and filters in the URL (the partner filter for
 * operators and the staff of several partners), the report's chart
 * (money per currency, never summed across currencies), its rows in a table
 * under it, CSV export of the same rows, and the saved reports. Partner
 * staff see their own partners' figures (the server scopes every report).
 */
export function ReportsPage() {
  const api = useApi(billingApiRef);
  const [params, setParams] = useAppSearchParams();
  const view = readReportView(params);
  const change = (patch: Partial<ReportView>) =>
    setParams(previous => reportViewParams({ ...view, ...patch }, previous));
  // operators, as the server decides now: every partner, and the leaderboard
  const { allowed: isOperator } = usePermission({
    permission: billingPayoutManagePermission,
  });
  const visible = REPORT_IDS.filter(
    id => isOperator || !OPERATOR_REPORTS.includes(id),
  );
  // the default range's "today" stays the same while the page is open
  const today = useMemo(() => new Date(), []);
  const filters = reportFilters(view, today);
  const rangeError =
    filters.from > filters.to
      ? `From (${filters.from}) is after To (${filters.to}): pick a From on or before To`
      : undefined;
  const key = JSON.stringify([view.report, filters]);
  const result = useKeyedLoad(key, () =>
    rangeError
      ? Promise.reject(new Error(rangeError))
      : api.report(view.report, filters),
  );
  const [exportState, exportCsv] = useAsyncFn(
    () => api.downloadReportCsv(view.report, filters),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key],
  );
  // operators: every partner; partner staff: their own (the catalog shows them no other)
  const partners = usePartnerOptions();
  const currencies = useCurrencyOptions();
  const showPartner = isOperator || partners.length > 1 || view.partner !== '';
  const value = result.value;

  return (
    <Content>
      <ContentHeader title="Reports">
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          {exportState.error && (
            <Typography
              variant="body2"
              color="error"
              data-testid="export-error"
            >
              Export failed: {errorMessage(exportState.error)}
            </Typography>
          )}
          <SavedReports
            report={view.report}
            filters={savedFilters(view)}
            isOperator={isOperator}
            partners={partners}
            onOpen={saved =>
              setParams(previous =>
                reportViewParams(
                  viewOfSaved(saved.report, saved.filters),
                  previous,
                ),
              )
            }
          />
          <Button
            variant="outlined"
            startIcon={
              exportState.loading ? (
                <CircularProgress size={16} />
              ) : (
                <GetAppIcon />
              )
            }
            disabled={exportState.loading || Boolean(rangeError)}
            onClick={() => exportCsv()}
          >
            Export CSV
          </Button>
        </Box>
      </ContentHeader>
      <Tabs
        value={visible.includes(view.report) ? view.report : false}
        onChange={(_e, report: ReportId) => change({ report })}
        indicatorColor="primary"
        textColor="primary"
        variant="scrollable"
        scrollButtons="auto"
        aria-label="Reports"
        style={{ marginBottom: 16 }}
      >
        {visible.map(id => (
          <Tab key={id} value={id} label={REPORT_TITLES[id]} />
        ))}
      </Tabs>
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        <Grid item xs={6} sm={4} md={2}>
          <DayField
            id="report-from"
            label="From"
            value={view.from}
            shown={filters.from}
            onChange={from => change({ from })}
          />
        </Grid>
        <Grid item xs={6} sm={4} md={2}>
          <DayField
            id="report-to"
            label="To"
            value={view.to}
            shown={filters.to}
            error={rangeError}
            onChange={to => change({ to })}
          />
        </Grid>
        {showPartner && (
          <Grid item xs={12} sm={4} md={2}>
            <FilterSelect
              id="filter-partner"
              label="Partner"
              value={view.partner}
              options={withCurrent(
                isOperator
                  ? [
                      { value: DIRECT, label: 'Direct (no partner)' },
                      ...partners,
                    ]
                  : partners,
                view.partner,
              )}
              onChange={partner => change({ partner })}
            />
          </Grid>
        )}
        <Grid item xs={12} sm={4} md={2}>
          <FilterSelect
            id="filter-currency"
            label="Currency"
            value={view.currency}
            options={withCurrent(currencies, view.currency)}
            onChange={currency => change({ currency })}
          />
        </Grid>
        {view.report === 'mrr' && (
          <Grid item xs={12} sm={4} md={2}>
            <FilterSelect
              id="filter-interval"
              label="Interval"
              all={false}
              value={view.interval}
              options={[
                { value: 'month', label: 'Month' },
                { value: 'day', label: 'Day' },
              ]}
              onChange={interval =>
                change({ interval: interval as ReportView['interval'] })
              }
            />
          </Grid>
        )}
        {view.report === 'top-tenants' && (
          <>
            <Grid item xs={6} sm={4} md={2}>
              <FilterSelect
                id="filter-by"
                label="Rank by"
                all={false}
                value={view.by}
                options={[
                  { value: 'mrr', label: 'MRR' },
                  { value: 'seats', label: 'Seats' },
                ]}
                onChange={by => change({ by: by as ReportView['by'] })}
              />
            </Grid>
            <Grid item xs={6} sm={4} md={2}>
              <FilterSelect
                id="filter-limit"
                label="How many"
                all={false}
                value={String(view.limit)}
                options={[...TOP_LIMITS]
                  .sort((a, b) => a - b)
                  .map(n => ({ value: String(n), label: String(n) }))}
                onChange={limit => change({ limit: Number(limit) })}
              />
            </Grid>
          </>
        )}
      </Grid>
      {rangeError ? (
        <Alert severity="warning" data-testid="range-error">
          {rangeError}
        </Alert>
      ) : (
        <PageState
          inline
          loading={result.loading}
          error={result.error}
          empty={value?.rows.length === 0 && emptyState(view.report)}
        >
          {() =>
            value && (
              <section aria-label={value.title} data-testid="report">
                <Typography
                  variant="body2"
                  color="textSecondary"
                  gutterBottom
                  data-testid="report-range"
                >
                  {value.from} – {value.to}
                  {value.asOf ? ` · as of the snapshot of ${value.asOf}` : ''}
                  {value.columns.some(c => c.kind === 'money')
                    ? ' · amounts per currency, never summed across currencies'
                    : ''}
                </Typography>
                <ReportChart result={value} filters={filters} />
                <Box mt={3}>
                  <ReportTable result={value} />
                </Box>
              </section>
            )
          }
        </PageState>
      )}
    </Content>
  );
}
