import { ReactNode, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  billingTenantSyncPermission,
  StripeLink,
  TenantBilling,
} from '@internal/plugin-billing-common';
import {
  formatCount,
  formatTime,
  PageState,
  SERVER_PAGE_SIZES,
} from '@internal/plugin-dezky-react';
import { billingApiRef, isNotFound } from '../api';
import { ConditionChip, SubscriptionChip } from './chips';
import { InvoiceTable } from './InvoiceTable';
import { moneyText } from './money';
import { SyncButton, useSync } from './SyncButton';
import { LocalPage, useKeyedLoad } from './useKeyedLoad';

const useStyles = makeStyles(theme => ({
  facts: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0, overflowWrap: 'anywhere' },
  },
}));

/** Label, value and test id (`<prefix>-<id>`) of each fact. */
type Fact = [string, ReactNode, string];

function FactList(props: { facts: Fact[]; prefix: string }) {
  const classes = useStyles();
  return (
    <dl className={classes.facts}>
      {props.facts.map(([label, value, id]) => (
        <Box key={id} display="contents">
          <dt>{label}</dt>
          <dd data-testid={`${props.prefix}-${id}`}>{value}</dd>
        </Box>
      ))}
    </dl>
  );
}

const subscriptionFacts = (b: TenantBilling): Fact[] => [
  ['Plan', b.plan, 'plan'],
  ['Seats', formatCount(b.seats), 'seats'],
  ['Currency', b.currency ?? '—', 'currency'],
  ['Cycle', b.cycle ?? '—', 'cycle'],
  ['Price version', b.priceVersion ?? '—', 'price-version'],
  ['Per seat', moneyText(b.perSeatAmount, b.currency), 'per-seat'],
  [
    'Subscription',
    <SubscriptionChip key="status" status={b.status} />,
    'status',
  ],
  ['MRR', moneyText(b.mrr, b.currency), 'mrr'],
  ['Paused MRR', moneyText(b.pausedMrr, b.currency), 'paused-mrr'],
];

const stripeId = (value?: string) => <code>{value ?? '—'}</code>;

const stripeFacts = (s: StripeLink): Fact[] => [
  ['Customer', stripeId(s.customerId), 'customer'],
  ['Subscription', stripeId(s.subscriptionId), 'subscription'],
  ['Item', stripeId(s.itemId), 'item'],
  ['Price', stripeId(s.priceId), 'price'],
  ['Status', s.status ?? '—', 'status'],
  ['Collection', s.collectionPaused ? 'paused' : 'collecting', 'collection'],
  [
    'Quantity',
    s.quantity === undefined ? '—' : formatCount(s.quantity),
    'quantity',
  ],
  [
    'Current period',
    s.currentPeriodStart || s.currentPeriodEnd
      ? `${formatTime(s.currentPeriodStart, {
          seconds: false,
        })} – ${formatTime(s.currentPeriodEnd, { seconds: false })}`
      : '—',
    'period',
  ],
  ['Compared', formatTime(s.syncedAt, { seconds: false }), 'synced-at'],
];

function StripeCard(props: { stripe?: StripeLink }) {
  const { stripe } = props;
  return (
    <InfoCard title="Stripe">
      {stripe ? (
        <FactList facts={stripeFacts(stripe)} prefix="stripe" />
      ) : (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="stripe-none"
        >
          Not in Stripe yet: billing creates the tenant's customer and
          subscription once Stripe is connected and the tenant is billed through
          it.
        </Typography>
      )}
    </InfoCard>
  );
}

function TenantInvoices(props: { tenant: string }) {
  const { tenant } = props;
  const api = useApi(billingApiRef);
  const [page, setPage] = useState<LocalPage>({
    page: 0,
    pageSize: SERVER_PAGE_SIZES[0],
  });
  const filters = { limit: page.pageSize, offset: page.page * page.pageSize };
  const list = useKeyedLoad(JSON.stringify({ tenant, ...filters }), () =>
    api.listTenantInvoices(tenant, filters),
  );
  // not the user's to see, or not billed: no invoices to show either way
  const hidden = isNotFound(list.error);
  return (
    <InvoiceTable
      list={hidden ? { value: { items: [], total: 0 }, loading: false } : list}
      page={page}
      onPageChange={setPage}
      empty={{
        title: 'No invoices yet',
        description:
          'Invoices appear here once Stripe has sent them: billing mirrors them from its webhook events.',
      }}
    />
  );
}

/**
 * The Billing tab of a Tenant's page: its subscription record — plan,
 * seats, currency, cycle, the price version and amount per seat, the
 * subscription's status, MRR and paused MRR — and its condition with why
 * and since when; its Stripe customer and subscription as billing last saw
 * them; its invoices. Operators (`billing.tenant.sync`) compare it with
 * Stripe on the spot (Sync now). A tenant billing has not heard of (not
 * activated yet, or not the user's to see) says so.
 */
export function EntityBillingContent() {
  const { entity } = useEntity();
  const api = useApi(billingApiRef);
  const name = entity.metadata.name;
  const billing = useKeyedLoad(name, () => api.getTenant(name));
  const notFound = isNotFound(billing.error);
  const { allowed: canSync } = usePermission({
    permission: billingTenantSyncPermission,
  });
  const { update } = billing;
  const { states, sync } = useSync(synced => update(() => synced));

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <PageState
          inline
          loading={billing.loading}
          error={notFound ? undefined : billing.error}
          empty={
            notFound && {
              title: 'Not billed yet',
              description:
                'Billing hears of a tenant once it is activated: its subscription record appears here then.',
            }
          }
        >
          {() => {
            const b = billing.value!;
            return (
              <Grid container spacing={3}>
                <Grid item xs={12} md={6}>
                  <InfoCard title="Subscription">
                    <Box
                      display="flex"
                      alignItems="center"
                      flexWrap="wrap"
                      mb={2}
                      style={{ gap: 8 }}
                    >
                      <ConditionChip condition={b.condition} />
                      <Typography
                        variant="body2"
                        data-testid="condition-message"
                      >
                        {b.condition.message}
                      </Typography>
                      <Typography
                        variant="caption"
                        color="textSecondary"
                        data-testid="condition-since"
                      >
                        since{' '}
                        {formatTime(b.condition.since, { seconds: false })}
                      </Typography>
                    </Box>
                    <FactList facts={subscriptionFacts(b)} prefix="billing" />
                    {canSync && (
                      <Box mt={2}>
                        <SyncButton
                          state={states[b.tenant]}
                          onSync={() => sync(b.tenant)}
                        />
                      </Box>
                    )}
                  </InfoCard>
                </Grid>
                <Grid item xs={12} md={6}>
                  <StripeCard stripe={b.stripe} />
                </Grid>
              </Grid>
            );
          }}
        </PageState>
      </Grid>
      <Grid item xs={12}>
        <TenantInvoices tenant={name} />
      </Grid>
    </Grid>
  );
}
