import { useState } from 'react';
import {
  Content,
  ContentHeader,
  LinkButton,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import Alert from '@material-ui/lab/Alert';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  billingPriceManagePermission,
  formatMoney,
  Price,
  PriceDetail,
} from '@internal/plugin-billing-common';
import {
  DezkyTable,
  formatTime,
  PageState,
} from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { billingRouteRef } from '../routes';
import { PriceDetailsDialog, repricingCounts } from './PriceDetailsDialog';
import { AddPriceDialog, EditPriceDialog, priceLabel } from './PriceDialogs';

/** What the page says after a change: done, or refused. */
interface Notice {
  severity: 'success' | 'warning';
  text: string;
}

const COLUMNS: TableColumn<Price>[] = [
  { title: 'Plan', field: 'plan' },
  { title: 'Currency', field: 'currency' },
  { title: 'Cycle', field: 'cycle' },
  {
    title: 'Per seat',
    render: p => (
      <span data-testid="price-amount">
        {formatMoney({ amount: p.perSeatAmount, currency: p.currency })}
      </span>
    ),
  },
  {
    title: 'Version',
    render: p => <span data-testid="price-version">{p.version}</span>,
  },
  {
    title: 'Updated',
    render: p => (
      <>
        {formatTime(p.updatedAt, { seconds: false })}
        {p.updatedBy && (
          <Typography variant="caption" color="textSecondary" display="block">
            {p.updatedBy}
          </Typography>
        )}
      </>
    ),
  },
];

/** The price whose details are open, and the edit's answer when it was just saved. */
interface Opened {
  price: Price;
  saved?: PriceDetail;
}

/**
 * The Prices page: the price catalog — per plan, currency and cycle, the
 * amount per seat, its version and who changed it last; per row, its
 * details (earlier versions, the re-pricing of the subscriptions its edits
 * moved). Operators (the server's `billing.price.manage`) add rows and edit
 * amounts: an edit shows what it moves (the impact preview) before it is
 * confirmed, then the re-pricing it did; it names the version on screen,
 * and when another came first the page says so and reloads. Partner staff
 * read.
 */
export function PricesPage() {
  const api = useApi(billingApiRef);
  // what the server decides now, not the groups of the sign-in
  const { allowed: canManage } = usePermission({
    permission: billingPriceManagePermission,
  });
  const billingLink = useRouteRef(billingRouteRef)?.() ?? '/billing';
  const prices = useAsyncRetry(() => api.listPrices(), [api]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Price>();
  const [opened, setOpened] = useState<Opened>();
  const [notice, setNotice] = useState<Notice>();

  const columns: TableColumn<Price>[] = [
    ...COLUMNS,
    {
      title: '',
      render: p => (
        <Box display="flex" style={{ gap: 8 }}>
          <Button
            size="small"
            aria-label={`Details of ${priceLabel(p)}`}
            onClick={() => setOpened({ price: p })}
          >
            Details
          </Button>
          {canManage && (
            <Button
              size="small"
              variant="outlined"
              aria-label={`Edit ${priceLabel(p)}`}
              onClick={() => {
                setNotice(undefined);
                setEditing(p);
              }}
            >
              Edit
            </Button>
          )}
        </Box>
      ),
    },
  ];

  const items = prices.value?.items ?? [];
  return (
    <Content>
      <ContentHeader title="Prices">
        <Box display="flex" style={{ gap: 8 }}>
          <LinkButton variant="outlined" to={billingLink}>
            Billing
          </LinkButton>
          {canManage && (
            <Button
              variant="contained"
              color="primary"
              startIcon={<AddIcon />}
              onClick={() => {
                setNotice(undefined);
                setAdding(true);
              }}
            >
              Add price
            </Button>
          )}
        </Box>
      </ContentHeader>
      {notice && (
        <Alert
          severity={notice.severity}
          data-testid="prices-notice"
          style={{ marginBottom: 16 }}
          onClose={() => setNotice(undefined)}
        >
          {notice.text}
        </Alert>
      )}
      <PageState
        inline
        loading={prices.loading && !prices.value}
        error={prices.value ? undefined : prices.error}
        empty={
          items.length === 0 && {
            title: 'No prices yet',
            description:
              'The catalog is seeded from billing.seedPrices on a fresh database; operators add prices here.',
          }
        }
      >
        {() => (
          <DezkyTable<Price>
            title={`Price catalog (${items.length})`}
            columns={columns}
            data={items}
            options={{ search: false, sorting: false, draggable: false }}
            rowProps={p => ({
              'data-testid': 'price-row',
              'data-price-id': p.id,
              'data-plan': p.plan,
              'data-currency': p.currency,
              'data-cycle': p.cycle,
            })}
          />
        )}
      </PageState>
      <AddPriceDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={price => {
          setAdding(false);
          setNotice({
            severity: 'success',
            text: `Added ${priceLabel(price)} at ${formatMoney({
              amount: price.perSeatAmount,
              currency: price.currency,
            })} per seat.`,
          });
          prices.retry();
        }}
      />
      <PriceDetailsDialog
        price={opened?.price}
        saved={opened?.saved}
        onClose={() => setOpened(undefined)}
      />
      <EditPriceDialog
        price={editing}
        onClose={() => setEditing(undefined)}
        onSaved={price => {
          setEditing(undefined);
          // the moves of this edit (earlier edits' failed ones may be listed too)
          const ofEdit = price.repricing.filter(
            o => o.toVersion === price.version,
          );
          const moved = ofEdit.length
            ? ` Re-pricing: ${repricingCounts(ofEdit)}.`
            : '';
          const failed = ofEdit.some(o => o.outcome === 'failed');
          setNotice({
            severity: failed ? 'warning' : 'success',
            text: `${priceLabel(price)} is now ${formatMoney({
              amount: price.perSeatAmount,
              currency: price.currency,
            })} per seat (version ${price.version}).${moved}`,
          });
          // what the edit moved, at once
          if (price.repricing.length) setOpened({ price, saved: price });
          prices.retry();
        }}
        onConflict={message => {
          setEditing(undefined);
          setNotice({
            severity: 'warning',
            text: `Not changed: ${message} (the catalog was reloaded: edit again)`,
          });
          prices.retry();
        }}
      />
    </Content>
  );
}
