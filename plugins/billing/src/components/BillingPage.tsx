import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import {
  Content,
  ContentHeader,
  Link,
  LinkButton,
  Progress,
  TableColumn,
} from '@backstage/core-components';
import {
  useApi,
  useAppSearchParams,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  BILLING_CONDITION_KINDS,
  BillingConditionKind,
  billingTenantSyncPermission,
  MrrReport,
  TenantBilling,
} from '@internal/plugin-billing-common';
import {
  FilterSelect,
  formatCount,
  PageState,
  ServerPagedTable,
} from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage } from '../api';
import { pricesRouteRef, reportsRouteRef } from '../routes';
import { BillingView, readView, viewFilters, viewParams } from './billingQuery';
import { ConditionChip, SubscriptionChip } from './chips';
import { moneyText } from './money';
import { MrrCards } from './MrrCards';
import { PayoutLedger } from './payouts/PayoutLedger';
import { reconcileText, ReconcileAllButton } from './ReconcileAllButton';
import { StripeEventsSection } from './StripeEventsSection';
import { StripeStatusNotice } from './StripeStatusNotice';
import { SYNC_CONDITIONS, SyncButton, SyncState, useSync } from './SyncButton';
import { useKeyedLoad } from './useKeyedLoad';

/** What the page says after Reconcile all now: its summary, or why it failed. */
interface Notice {
  severity: 'success' | 'warning' | 'error';
  text: string;
}

/** What the rows' cells share: each tenant's Sync now, and how to start one. */
const RowActions = createContext<{
  states: Record<string, SyncState>;
  sync: (tenant: string) => void;
}>({ states: {}, sync: () => undefined });

function TenantCell(props: { row: TenantBilling }) {
  const entityLink = useEntityRefLink();
  return <Link to={entityLink(props.row.tenantRef)}>{props.row.tenant}</Link>;
}

/** MRR, and the paused MRR beside it when there is some. */
function MrrCell(props: { row: TenantBilling }) {
  const { mrr, pausedMrr, currency } = props.row;
  return (
    <>
      <span data-testid="tenant-mrr">{moneyText(mrr, currency)}</span>
      {pausedMrr > 0 && (
        <Typography
          variant="caption"
          color="textSecondary"
          display="block"
          data-testid="tenant-paused-mrr"
        >
          paused {moneyText(pausedMrr, currency)}
        </Typography>
      )}
    </>
  );
}

/** Short values that read badly broken over lines (plan keys, amounts). */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

const COLUMNS: TableColumn<TenantBilling>[] = [
  { title: 'Tenant', render: t => <TenantCell row={t} /> },
  {
    title: 'Partner',
    // a partner's title breaks between words, never inside one
    cellStyle: { minWidth: 120 },
    render: t =>
      t.partnerRef ? <EntityRefLink entityRef={t.partnerRef} /> : 'Direct',
  },
  { title: 'Plan', field: 'plan', cellStyle: NO_WRAP },
  { title: 'Seats', render: t => formatCount(t.seats) },
  { title: 'Currency', render: t => t.currency ?? '—' },
  {
    title: 'Per seat',
    cellStyle: NO_WRAP,
    render: t => (
      <span data-testid="tenant-per-seat">
        {moneyText(t.perSeatAmount, t.currency)}
        {t.cycle && t.perSeatAmount !== undefined ? ` / ${t.cycle}` : ''}
      </span>
    ),
  },
  { title: 'MRR', cellStyle: NO_WRAP, render: t => <MrrCell row={t} /> },
  {
    title: 'Subscription',
    render: t => <SubscriptionChip status={t.status} />,
  },
  {
    title: 'Condition',
    render: t => <ConditionChip condition={t.condition} />,
  },
];

/**
 * Sync now for a tenant whose billing differs from Stripe (out of sync,
 * payment failed); kept after a sync to say how it went.
 */
function SyncCell(props: { row: TenantBilling }) {
  const { row } = props;
  const { states, sync } = useContext(RowActions);
  const state = states[row.tenant];
  if (!state && !SYNC_CONDITIONS.includes(row.condition.kind)) return null;
  return <SyncButton state={state} onSync={() => sync(row.tenant)} />;
}

const SYNC_COLUMN: TableColumn<TenantBilling> = {
  title: '',
  render: t => <SyncCell row={t} />,
};

function MrrSection(props: {
  report: { value?: MrrReport; error?: Error; loading: boolean };
}) {
  const { value, loading, error } = props.report;
  if (error) {
    return (
      <Typography variant="body2" color="error" data-testid="mrr-error">
        MRR unavailable: {errorMessage(error)}
      </Typography>
    );
  }
  if (loading && !value) return <Progress />;
  return (
    <MrrCards
      totals={value?.total ?? []}
      empty="No MRR yet: no tenant you may see has an active subscription."
    />
  );
}

/**
 * The Billing page: whether Stripe is connected (the server's `/status`),
 * MRR per currency (paused apart; one card per currency, never a total
 * across currencies), and the tenants' billing the user may see — plan,
 * seats, price, MRR, subscription and condition — filtered by condition
 * and paged, both kept in the URL. Partner staff see their partners'
 * tenants (the server decides). Under them, the partner payout ledger
 * (partner staff: their partners' payouts, read-only). Operators
 * (`billing.tenant.sync`) also get Sync now on the tenants that differ from
 * Stripe, Reconcile all now, and the webhook events received; those who
 * manage payouts (`billing.payout.manage`) generate payouts and mark them
 * paid.
 */
export function BillingPage() {
  const api = useApi(billingApiRef);
  const [params, setParams] = useAppSearchParams();
  const view = readView(params);
  const change = (patch: Partial<BillingView>, replace = false) => {
    // a new filter or page size starts at the first page
    const next = { ...view, page: 0, ...patch };
    setParams(previous => viewParams(next, previous), { replace });
  };
  const pricesLink = useRouteRef(pricesRouteRef)?.() ?? '/billing/prices';
  const reportsLink = useRouteRef(reportsRouteRef)?.() ?? '/billing/reports';
  // what the server decides now, not the groups of the sign-in
  const { allowed: isOperator } = usePermission({
    permission: billingTenantSyncPermission,
  });
  const filters = viewFilters(view);
  const list = useKeyedLoad(JSON.stringify(filters), () =>
    api.listTenants(filters),
  );
  const mrr = useAsyncRetry(() => api.mrr(), [api]);
  const [notice, setNotice] = useState<Notice>();
  const result = list.value;

  const { update, refresh } = list;
  const refreshMrr = mrr.retry;
  const { states, sync } = useSync(synced => {
    update(page => ({
      ...page,
      items: page.items.map(t => (t.tenant === synced.tenant ? synced : t)),
    }));
    refreshMrr();
  });
  const actions = useMemo(() => ({ states, sync }), [states, sync]);

  // a page past the end (fewer matches than the URL's page): the last page
  useEffect(() => {
    if (result && result.items.length === 0 && result.total > 0 && view.page) {
      change({ page: Math.ceil(result.total / view.pageSize) - 1 }, true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [result]);

  return (
    <Content>
      <ContentHeader title="Billing">
        <Box display="flex" style={{ gap: 8 }}>
          {isOperator && (
            <ReconcileAllButton
              onDone={summary => {
                setNotice({
                  severity:
                    summary.outOfSync > 0 || summary.repricingFailed > 0
                      ? 'warning'
                      : 'success',
                  text: reconcileText(summary),
                });
                refresh();
                refreshMrr();
              }}
              onFailed={message =>
                setNotice({
                  severity: 'error',
                  text: `Reconcile failed: ${message}`,
                })
              }
            />
          )}
          <LinkButton variant="outlined" color="primary" to={pricesLink}>
            Prices
          </LinkButton>
          <LinkButton variant="outlined" color="primary" to={reportsLink}>
            Reports
          </LinkButton>
        </Box>
      </ContentHeader>
      <StripeStatusNotice />
      {notice && (
        <Alert
          severity={notice.severity}
          data-testid="reconcile-notice"
          style={{ marginBottom: 16 }}
          onClose={() => setNotice(undefined)}
        >
          {notice.text}
        </Alert>
      )}
      <Box mb={3}>
        <MrrSection report={mrr} />
      </Box>
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        <Grid item xs={12} sm={4} md={3}>
          <FilterSelect
            id="filter-condition"
            label="Condition"
            value={view.condition}
            options={BILLING_CONDITION_KINDS}
            onChange={condition =>
              change({ condition: condition as BillingConditionKind })
            }
          />
        </Grid>
      </Grid>
      <PageState
        inline
        loading={list.loading}
        error={list.error}
        empty={
          result?.total === 0 &&
          (view.condition
            ? {
                title: 'No tenant in this condition',
                description:
                  'Pick another condition, or All: only tenants whose billing is in the chosen condition are listed.',
              }
            : {
                title: 'No tenants billed yet',
                description:
                  'Billing hears of a tenant once it is activated; its record appears here then.',
              })
        }
      >
        {() => (
          <RowActions.Provider value={actions}>
            <ServerPagedTable<TenantBilling>
              title="Tenants"
              columns={isOperator ? [...COLUMNS, SYNC_COLUMN] : COLUMNS}
              items={result?.items ?? []}
              total={result?.total ?? 0}
              page={view.page}
              pageSize={view.pageSize}
              onPageChange={change}
              rowProps={t => ({
                'data-testid': 'billing-row',
                'data-tenant': t.tenant,
                'data-condition': t.condition.kind,
              })}
            />
          </RowActions.Provider>
        )}
      </PageState>
      <Box mt={4}>
        <PayoutLedger allowGenerate />
      </Box>
      {isOperator && (
        <Box mt={4}>
          <StripeEventsSection />
        </Box>
      )}
    </Content>
  );
}
