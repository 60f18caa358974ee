import { createContext, useContext, useMemo, useState } from 'react';
import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import PlaylistAddCheckIcon from '@material-ui/icons/PlaylistAddCheck';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  billingPayoutManagePermission,
  Payout,
  PAYOUT_STATES,
  PayoutState,
} from '@internal/plugin-billing-common';
import {
  FilterSelect,
  PageState,
  SERVER_PAGE_SIZES,
  ServerPagedTable,
} from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage, ListPayoutsFilters } from '../../api';
import { PayoutStateChip } from '../chips';
import { isMonth } from '../days';
import {
  useCurrencyOptions,
  usePartnerOptions,
  withCurrent,
} from '../filterOptions';
import { moneyText } from '../money';
import { LocalPage, useKeyedLoad } from '../useKeyedLoad';
import {
  GeneratePayoutsDialog,
  generationText,
  MarkPaidDialog,
  partnerName,
} from './PayoutDialogs';

/** What the ledger is narrowed to; `''` is no filter. */
interface LedgerFilters {
  partner: string;
  month: string;
  currency: string;
  state: PayoutState | '';
}

/** Short values that read badly broken over lines (amounts, months). */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/** What the rows' Mark paid buttons share: how to start one. */
const RowActions = createContext<{ markPaid: (payout: Payout) => void }>({
  markPaid: () => undefined,
});

/** Why a payout cannot be marked paid, or nothing when it can. */
function notPayable(p: Payout): string | undefined {
  if (p.state === 'open') {
    return 'Its month is not over: a payout is paid once its month has closed';
  }
  if (p.state === 'paid') {
    return `Paid on ${p.paidOn ?? '—'}${
      p.paidReference ? ` (${p.paidReference})` : ''
    }: a paid payout never changes`;
  }
  return undefined;
}

function MarkPaidCell(props: { payout: Payout }) {
  const { markPaid } = useContext(RowActions);
  const why = notPayable(props.payout);
  const button = (
    <Button
      size="small"
      variant="outlined"
      color="primary"
      disabled={why !== undefined}
      onClick={() => markPaid(props.payout)}
    >
      Mark paid
    </Button>
  );
  if (!why) return button;
  return (
    <Tooltip title={why}>
      <span data-testid="mark-paid-why">{button}</span>
    </Tooltip>
  );
}

const money = (amount: number, p: Payout) => moneyText(amount, p.currency);

const PARTNER_COLUMN: TableColumn<Payout> = {
  title: 'Partner',
  // partner titles are long: keep their words whole
  cellStyle: { minWidth: 120 },
  render: p => <EntityRefLink entityRef={p.partnerRef} defaultKind="partner" />,
};

const COLUMNS: TableColumn<Payout>[] = [
  { title: 'Month', field: 'month', cellStyle: NO_WRAP },
  { title: 'Currency', field: 'currency' },
  {
    title: 'Gross MRR',
    cellStyle: NO_WRAP,
    render: p => <span data-testid="payout-gross">{money(p.grossMrr, p)}</span>,
  },
  {
    title: 'Margin',
    cellStyle: NO_WRAP,
    render: p => <span data-testid="payout-margin">{p.marginPct} %</span>,
  },
  {
    title: 'Amount',
    cellStyle: NO_WRAP,
    render: p => <span data-testid="payout-amount">{money(p.amount, p)}</span>,
  },
  { title: 'State', render: p => <PayoutStateChip state={p.state} /> },
  { title: 'Snapshot', field: 'snapshotDay', cellStyle: NO_WRAP },
  {
    title: 'Paid',
    cellStyle: NO_WRAP,
    render: p => (
      <>
        <span data-testid="payout-paid-on">{p.paidOn ?? '—'}</span>
        {p.paidReference && (
          <Typography
            variant="caption"
            color="textSecondary"
            display="block"
            data-testid="payout-reference"
          >
            {p.paidReference}
          </Typography>
        )}
      </>
    ),
  },
];

const MARK_PAID_COLUMN: TableColumn<Payout> = {
  title: '',
  cellStyle: NO_WRAP,
  render: p => <MarkPaidCell payout={p} />,
};

/**
 * The partner payout ledger: one row per partner × month × currency —
 * gross MRR, margin, the payout in its currency, its state, the snapshot
 * day its figures come from, when and how it was paid — filtered by
 * partner, month, currency and state, paged by the server, exported as CSV.
 * Operators (`billing.payout.manage`) also mark closed payouts paid and,
 * with `allowGenerate`, generate payouts. Partner staff read their own
 * partners' rows (the server scopes them). `partner` fixes the partner
 * (a Partner's page): no partner column nor filter then.
 */
export function PayoutLedger(props: {
  partner?: string;
  allowGenerate?: boolean;
}) {
  const { partner: fixedPartner, allowGenerate } = props;
  const api = useApi(billingApiRef);
  const { allowed: canManage } = usePermission({
    permission: billingPayoutManagePermission,
  });
  const [chosen, setChosen] = useState<LedgerFilters>({
    partner: '',
    month: '',
    currency: '',
    state: '',
  });
  const [monthText, setMonthText] = useState('');
  const [page, setPage] = useState<LocalPage>({
    page: 0,
    pageSize: SERVER_PAGE_SIZES[0],
  });
  const [generating, setGenerating] = useState(false);
  const [paying, setPaying] = useState<Payout>();
  const [notice, setNotice] = useState<string>();
  const partners = usePartnerOptions(fixedPartner === undefined);
  const currencies = useCurrencyOptions();

  const partner = fixedPartner ?? chosen.partner;
  const filters: Omit<ListPayoutsFilters, 'limit' | 'offset'> = {
    ...(partner ? { partner } : {}),
    ...(chosen.month ? { month: chosen.month } : {}),
    ...(chosen.currency ? { currency: chosen.currency } : {}),
    ...(chosen.state ? { state: chosen.state } : {}),
  };
  const query: ListPayoutsFilters = {
    ...filters,
    limit: page.pageSize,
    offset: page.page * page.pageSize,
  };
  const list = useKeyedLoad(JSON.stringify(query), () => api.payouts(query));
  const [exportState, exportCsv] = useAsyncFn(
    () => api.downloadPayoutsCsv(filters),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, JSON.stringify(filters)],
  );
  const filter = (patch: Partial<LedgerFilters>) => {
    setChosen(c => ({ ...c, ...patch }));
    setPage(p => ({ ...p, page: 0 }));
  };
  const monthValid = monthText === '' || isMonth(monthText);
  const result = list.value;
  const filtered = Object.keys(filters).length > (fixedPartner ? 1 : 0);
  const actions = useMemo(() => ({ markPaid: setPaying }), []);
  const columns = [
    ...(fixedPartner ? [] : [PARTNER_COLUMN]),
    ...COLUMNS,
    ...(canManage ? [MARK_PAID_COLUMN] : []),
  ];

  return (
    <section data-testid="payout-ledger" aria-labelledby="payout-ledger-title">
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        flexWrap="wrap"
        style={{ gap: 8 }}
        mb={2}
      >
        <Typography variant="h5" component="h2" id="payout-ledger-title">
          Partner payouts
        </Typography>
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          {exportState.error && (
            <Typography
              variant="body2"
              color="error"
              data-testid="payouts-export-error"
            >
              Export failed: {errorMessage(exportState.error)}
            </Typography>
          )}
          <Button
            variant="outlined"
            startIcon={
              exportState.loading ? (
                <CircularProgress size={16} />
              ) : (
                <GetAppIcon />
              )
            }
            disabled={exportState.loading}
            onClick={() => exportCsv()}
          >
            Export CSV
          </Button>
          {canManage && allowGenerate && (
            <Button
              variant="outlined"
              color="primary"
              startIcon={<PlaylistAddCheckIcon />}
              onClick={() => setGenerating(true)}
            >
              Generate payouts
            </Button>
          )}
        </Box>
      </Box>
      {notice && (
        <Alert
          severity="success"
          data-testid="payout-notice"
          style={{ marginBottom: 16 }}
          onClose={() => setNotice(undefined)}
        >
          {notice}
        </Alert>
      )}
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        {fixedPartner === undefined &&
          (canManage || partners.length > 1 || chosen.partner !== '') && (
            <Grid item xs={12} sm={6} md={3}>
              <FilterSelect
                id="filter-payout-partner"
                label="Partner"
                value={chosen.partner}
                options={withCurrent(partners, chosen.partner)}
                onChange={value => filter({ partner: value })}
              />
            </Grid>
          )}
        <Grid item xs={12} sm={6} md={3}>
          <TextField
            fullWidth
            id="filter-payout-month"
            type="month"
            label="Month"
            value={monthText}
            onChange={e => {
              const next = e.target.value;
              setMonthText(next);
              if (next === '' || isMonth(next)) filter({ month: next });
            }}
            error={!monthValid}
            helperText={monthValid ? ' ' : 'A month, YYYY-MM'}
            InputLabelProps={{ shrink: true }}
            inputProps={{ placeholder: 'YYYY-MM' }}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <FilterSelect
            id="filter-payout-currency"
            label="Currency"
            value={chosen.currency}
            options={withCurrent(currencies, chosen.currency)}
            onChange={value => filter({ currency: value })}
          />
        </Grid>
        <Grid item xs={12} sm={6} md={3}>
          <FilterSelect
            id="filter-payout-state"
            label="State"
            value={chosen.state}
            options={PAYOUT_STATES}
            onChange={value => filter({ state: value as PayoutState | '' })}
          />
        </Grid>
      </Grid>
      <PageState
        inline
        loading={list.loading}
        error={list.error}
        empty={
          result?.total === 0 &&
          (filtered
            ? {
                title: 'No payout matches these filters',
                description:
                  'Clear a filter, or pick another month: only payouts matching every filter are listed.',
              }
            : {
                title: 'No payouts yet',
                description:
                  'Payouts are generated from the daily MRR snapshots for each partner with a margin: the current month’s stays open and is regenerated daily, a month is closed on the first run after it ends.',
              })
        }
      >
        {() => (
          <RowActions.Provider value={actions}>
            <ServerPagedTable<Payout>
              title="Payouts"
              columns={columns}
              items={result?.items ?? []}
              total={result?.total ?? 0}
              page={page.page}
              pageSize={page.pageSize}
              onPageChange={setPage}
              rowProps={p => ({
                'data-testid': 'payout-row',
                'data-payout': p.id,
                'data-partner': partnerName(p.partnerRef),
                'data-month': p.month,
                'data-currency': p.currency,
                'data-state': p.state,
              })}
            />
          </RowActions.Provider>
        )}
      </PageState>
      {canManage && allowGenerate && (
        <GeneratePayoutsDialog
          open={generating}
          onClose={() => setGenerating(false)}
          onGenerated={generation => {
            setGenerating(false);
            setNotice(generationText(generation));
            list.refresh();
          }}
        />
      )}
      {canManage && (
        <MarkPaidDialog
          payout={paying}
          onClose={() => setPaying(undefined)}
          onPaid={paid => {
            setPaying(undefined);
            setNotice(
              `Marked ${partnerName(paid.partnerRef)}’s ${paid.month} ${
                paid.currency
              } payout of ${moneyText(
                paid.amount,
                paid.currency,
              )} paid (reference ${paid.paidReference ?? '—'}, paid on ${
                paid.paidOn ?? '—'
              }).`,
            );
            list.update(current => ({
              ...current,
              items: current.items.map(p => (p.id === paid.id ? paid : p)),
            }));
          }}
        />
      )}
    </section>
  );
}
