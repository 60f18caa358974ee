import { useId } from 'react';
import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import {
  formatMoney,
  Price,
  PriceDetail,
  PriceVersion,
  RepricingOutcome,
} from '@internal/plugin-billing-common';
import {
  DezkyTable,
  formatTime,
  PageState,
} from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { RepricingChip } from './chips';
import { priceLabel } from './PriceDialogs';
import { useKeyedLoad } from './useKeyedLoad';

/** `2 moved, 1 failed, 1 pending` (the kinds there are). */
export function repricingCounts(outcomes: RepricingOutcome[]): string {
  const kinds: RepricingOutcome['outcome'][] = ['moved', 'failed', 'pending'];
  return kinds
    .map(
      kind => [kind, outcomes.filter(o => o.outcome === kind).length] as const,
    )
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

const REPRICING_COLUMNS: TableColumn<RepricingOutcome>[] = [
  {
    title: 'Tenant',
    render: o => <EntityRefLink entityRef={o.tenantRef} defaultKind="tenant" />,
  },
  {
    title: 'Version',
    render: o => `${o.fromVersion} → ${o.toVersion}`,
  },
  {
    title: 'Outcome',
    render: o => (
      <>
        <RepricingChip outcome={o.outcome} />
        {o.error && (
          <Typography
            variant="caption"
            color="error"
            display="block"
            data-testid="repricing-error"
            style={{ maxWidth: 320, overflowWrap: 'anywhere' }}
          >
            {o.error}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Attempts',
    render: o => <span data-testid="repricing-attempts">{o.attempts}</span>,
  },
  {
    title: 'Stripe subscription',
    render: o => <code>{o.subscriptionId ?? '—'}</code>,
  },
  { title: 'Updated', render: o => formatTime(o.updatedAt) },
];

function historyColumns(currency: string): TableColumn<PriceVersion>[] {
  return [
    { title: 'Version', field: 'version' },
    {
      title: 'Per seat',
      render: v => formatMoney({ amount: v.perSeatAmount, currency }),
    },
    {
      title: 'Replaced',
      render: v => (
        <>
          {formatTime(v.replacedAt, { seconds: false })}
          {v.replacedBy && (
            <Typography variant="caption" color="textSecondary" display="block">
              {v.replacedBy}
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'Stripe price',
      render: v => <code>{v.stripePriceId ?? '—'}</code>,
    },
  ];
}

function Details(props: { detail: PriceDetail }) {
  const { detail } = props;
  const { repricing, history } = detail;
  const failed = repricing.filter(o => o.outcome === 'failed').length;
  return (
    <>
      <Typography variant="body2" gutterBottom data-testid="price-current">
        {formatMoney({
          amount: detail.perSeatAmount,
          currency: detail.currency,
        })}{' '}
        per seat, version {detail.version}
        {detail.updatedBy && `, by ${detail.updatedBy}`} (
        {formatTime(detail.updatedAt, { seconds: false })}). Stripe price:{' '}
        <code>{detail.stripePriceId ?? '—'}</code>
      </Typography>
      <Box mt={2} data-testid="repricing">
        <Typography variant="h6" component="h3">
          Re-pricing
        </Typography>
        {repricing.length === 0 ? (
          <Typography
            variant="body2"
            color="textSecondary"
            data-testid="repricing-none"
          >
            Nothing to move: the subscriptions on this price are on its current
            version.
          </Typography>
        ) : (
          <>
            <Typography variant="body2" data-testid="repricing-summary">
              {repricingCounts(repricing)}
              {failed > 0 &&
                ': the billing reconcile retries the failed ones until they are moved.'}
            </Typography>
            <DezkyTable<RepricingOutcome>
              columns={REPRICING_COLUMNS}
              data={repricing}
              options={{
                toolbar: false,
                search: false,
                sorting: false,
                draggable: false,
              }}
              rowProps={o => ({
                'data-testid': 'repricing-row',
                'data-tenant': o.tenant,
                'data-outcome': o.outcome,
              })}
            />
          </>
        )}
      </Box>
      <Box mt={3}>
        <Typography variant="h6" component="h3">
          Earlier versions
        </Typography>
        {history.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            None: the amount was never changed.
          </Typography>
        ) : (
          <DezkyTable<PriceVersion>
            columns={historyColumns(detail.currency)}
            data={history}
            options={{
              toolbar: false,
              search: false,
              sorting: false,
              draggable: false,
            }}
            rowProps={v => ({
              'data-testid': 'history-row',
              'data-version': String(v.version),
            })}
          />
        )}
      </Box>
    </>
  );
}

function PriceDetailsBody(props: {
  price: Price;
  saved?: PriceDetail;
  onClose: () => void;
}) {
  const { price, saved, onClose } = props;
  const api = useApi(billingApiRef);
  const detail = useKeyedLoad(price.id, () => api.getPrice(price.id));
  const shown = detail.value ?? (detail.error ? undefined : saved);
  return (
    <>
      <DialogContent>
        <PageState
          inline
          loading={!shown && detail.loading}
          error={shown ? undefined : detail.error}
        >
          {() => <Details detail={shown!} />}
        </PageState>
      </DialogContent>
      <DialogActions>
        <Button onClick={detail.refresh}>Reload</Button>
        <Button onClick={onClose} color="primary" variant="contained">
          Close
        </Button>
      </DialogActions>
    </>
  );
}

/**
 * A price's details: its current amount and version, the re-pricing of the
 * subscriptions its edits moved (moved; failed, with the error, until the
 * reconcile moves them; pending) with their attempts, and its earlier
 * versions. Read from the server (`GET /prices/:id`) when opened, and
 * again on Reload; `saved` is shown meanwhile (the answer of the edit just
 * made).
 */
export function PriceDetailsDialog(props: {
  price?: Price;
  saved?: PriceDetail;
  onClose: () => void;
}) {
  const { price, saved, onClose } = props;
  const titleId = useId();
  if (!price) return null;
  return (
    <Dialog
      open
      onClose={onClose}
      maxWidth="md"
      fullWidth
      aria-labelledby={titleId}
    >
      <DialogTitle id={titleId}>{priceLabel(price)}</DialogTitle>
      <PriceDetailsBody price={price} saved={saved} onClose={onClose} />
    </Dialog>
  );
}
