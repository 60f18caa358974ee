import { useEffect, useState } from 'react';
import {
  Content,
  ContentHeader,
  InfoCard,
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
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsync from 'react-use/esm/useAsync';
import {
  BILLING_CONDITION_KINDS,
  BillingConditionKind,
  MrrTotal,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';
import {
  countOf,
  ServerPagedTable,
  FilterSelect,
  formatCount,
  PageState,
} from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage, ListTenantBillingFilters } from '../api';
import { pricesRouteRef } from '../routes';
import { BillingView, readView, viewFilters, viewParams } from './billingQuery';
import { ConditionChip, SubscriptionChip } from './chips';
import { moneyText } from './money';

/** Shown until the Stripe client is wired: every amount here is the local bookkeeping. */
export const STRIPE_NOTICE = 'Stripe is not connected: billing is kept locally';

interface ListState {
  /** The filters this state is for (JSON). */
  key: string;
  value?: TenantBillingList;
  error?: Error;
}

/** One page of the tenants' billing for the filters; answers for filters no longer current are dropped. */
function useTenantBilling(filters: ListTenantBillingFilters) {
  const api = useApi(billingApiRef);
  const key = JSON.stringify(filters);
  const [state, setState] = useState<ListState>({ key });
  useEffect(() => {
    let current = true;
    setState({ key });
    api.listTenants(JSON.parse(key)).then(
      value => current && setState({ key, value }),
      error => current && setState({ key, error }),
    );
    return () => {
      current = false;
    };
  }, [api, key]);
  const fresh = state.key === key;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    loading: !fresh || (!state.value && !state.error),
  };
}

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

const COLUMNS: TableColumn<TenantBilling>[] = [
  { title: 'Tenant', render: t => <TenantCell row={t} /> },
  {
    title: 'Partner',
    render: t =>
      t.partnerRef ? <EntityRefLink entityRef={t.partnerRef} /> : 'Direct',
  },
  { title: 'Plan', field: 'plan' },
  { title: 'Seats', render: t => formatCount(t.seats) },
  { title: 'Currency', render: t => t.currency ?? '—' },
  {
    title: 'Per seat',
    render: t => (
      <span data-testid="tenant-per-seat">
        {moneyText(t.perSeatAmount, t.currency)}
        {t.cycle && t.perSeatAmount !== undefined ? ` / ${t.cycle}` : ''}
      </span>
    ),
  },
  { title: 'MRR', render: t => <MrrCell row={t} /> },
  {
    title: 'Subscription',
    render: t => <SubscriptionChip status={t.status} />,
  },
  {
    title: 'Condition',
    render: t => <ConditionChip condition={t.condition} />,
  },
];

/** One card per currency: MRR and paused MRR apart, never summed across currencies. */
function MrrCards(props: { totals: MrrTotal[] }) {
  if (props.totals.length === 0) {
    return (
      <Typography color="textSecondary" data-testid="mrr-none">
        No MRR yet: no tenant you may see has an active subscription.
      </Typography>
    );
  }
  return (
    <Grid container spacing={2}>
      {props.totals.map(t => (
        <Grid item xs={12} sm={6} md={3} key={t.currency}>
          <div data-testid="mrr-card" data-currency={t.currency}>
            <InfoCard title={`MRR in ${t.currency}`}>
              <Typography variant="h4" data-testid="mrr">
                {moneyText(t.mrr, t.currency)}
              </Typography>
              <Typography variant="body2" color="textSecondary">
                Paused:{' '}
                <span data-testid="paused-mrr">
                  {moneyText(t.pausedMrr, t.currency)}
                </span>
              </Typography>
              <Typography variant="body2" color="textSecondary">
                {countOf(t.subscriptions, 'subscription')}
              </Typography>
            </InfoCard>
          </div>
        </Grid>
      ))}
    </Grid>
  );
}

function MrrSection() {
  const api = useApi(billingApiRef);
  const { value, loading, error } = useAsync(() => api.mrr(), [api]);
  if (error) {
    return (
      <Typography variant="body2" color="error" data-testid="mrr-error">
        MRR unavailable: {errorMessage(error)}
      </Typography>
    );
  }
  if (loading || !value) return <Progress />;
  return <MrrCards totals={value.total} />;
}

/**
 * The Billing page: that Stripe is not connected yet, MRR per currency
 * (paused apart; one card per currency, never a total across currencies),
 * and the tenants' billing the user may see — plan, seats, price, MRR,
 * subscription and condition — filtered by condition and paged, both kept
 * in the URL. Partner staff see their partners' tenants (the server
 * decides).
 */
export function BillingPage() {
  const [params, setParams] = useAppSearchParams();
  const view = readView(params);
  const change = (patch: Partial<BillingView>, replace = false) => {
    // a new filter or page size starts at the first page
    const next = { ...view, page: 0, ...patch };
    setParams(previous => viewParams(next, previous), { replace });
  };
  const pricesLink = useRouteRef(pricesRouteRef)?.() ?? '/billing/prices';
  const list = useTenantBilling(viewFilters(view));
  const result = list.value;

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
        <LinkButton variant="outlined" color="primary" to={pricesLink}>
          Prices
        </LinkButton>
      </ContentHeader>
      <Alert
        severity="info"
        data-testid="stripe-notice"
        style={{ marginBottom: 16 }}
      >
        {STRIPE_NOTICE}
      </Alert>
      <Box mb={3}>
        <MrrSection />
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
          <ServerPagedTable<TenantBilling>
            title="Tenants"
            columns={COLUMNS}
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
        )}
      </PageState>
    </Content>
  );
}
