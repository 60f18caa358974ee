import { ReactNode } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import useAsync from 'react-use/esm/useAsync';
import { TenantBilling } from '@internal/plugin-billing-common';
import {
  formatCount,
  formatTime,
  PageState,
} from '@internal/plugin-dezky-react';
import { billingApiRef, isNotFound } from '../api';
import { ConditionChip, SubscriptionChip } from './chips';
import { moneyText } from './money';

const useStyles = makeStyles(theme => ({
  facts: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0 },
  },
}));

function Facts(props: { billing: TenantBilling }) {
  const { billing: b } = props;
  const classes = useStyles();
  const facts: Array<[string, ReactNode, string]> = [
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
  return (
    <dl className={classes.facts}>
      {facts.map(([label, value, id]) => (
        <Box key={id} display="contents">
          <dt>{label}</dt>
          <dd data-testid={`billing-${id}`}>{value}</dd>
        </Box>
      ))}
    </dl>
  );
}

/**
 * The Billing tab of a Tenant's page: its subscription record — plan,
 * seats, currency, cycle, the price version and amount per seat, the
 * subscription's status, MRR and paused MRR — and its condition with why
 * and since when. A tenant billing has not heard of (not activated yet, or
 * not the user's to see) says so.
 */
export function EntityBillingContent() {
  const { entity } = useEntity();
  const api = useApi(billingApiRef);
  const name = entity.metadata.name;
  const billing = useAsync(() => api.getTenant(name), [api, name]);
  const notFound = isNotFound(billing.error);

  return (
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
          <InfoCard title="Billing">
            <Box display="flex" alignItems="center" mb={2} style={{ gap: 8 }}>
              <ConditionChip condition={b.condition} />
              <Typography variant="body2" data-testid="condition-message">
                {b.condition.message}
              </Typography>
              <Typography
                variant="caption"
                color="textSecondary"
                data-testid="condition-since"
              >
                since {formatTime(b.condition.since, { seconds: false })}
              </Typography>
            </Box>
            <Facts billing={b} />
          </InfoCard>
        );
      }}
    </PageState>
  );
}
