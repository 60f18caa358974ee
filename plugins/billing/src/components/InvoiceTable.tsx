import { Link, TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { Invoice, InvoiceList } from '@internal/plugin-billing-common';
import {
  formatTime,
  PageState,
  ServerPagedTable,
} from '@internal/plugin-dezky-react';
import { InvoiceStatusChip } from './chips';
import { moneyText } from './money';
import { LocalPage } from './useKeyedLoad';

/** The day of a time, in the browser's time zone (`2026-12-01`); `—` for none. */
const day = (iso?: string) => formatTime(iso, { seconds: false }).split(' ')[0];

function NumberCell(props: { invoice: Invoice }) {
  const { invoice } = props;
  return (
    <>
      <span data-testid="invoice-number">{invoice.number ?? 'Draft'}</span>
      <Typography variant="caption" color="textSecondary" display="block">
        {invoice.id}
      </Typography>
    </>
  );
}

function LinksCell(props: { invoice: Invoice }) {
  const { hostedInvoiceUrl, invoicePdf, number, id } = props.invoice;
  if (!hostedInvoiceUrl && !invoicePdf) return <>—</>;
  const name = number ?? id;
  return (
    <Box display="flex" style={{ gap: 8 }}>
      {hostedInvoiceUrl && (
        <Link to={hostedInvoiceUrl} aria-label={`Invoice ${name} at Stripe`}>
          Invoice
        </Link>
      )}
      {invoicePdf && (
        <Link to={invoicePdf} aria-label={`Invoice ${name} as PDF`}>
          PDF
        </Link>
      )}
    </Box>
  );
}

const money = (amount: number, i: Invoice) => moneyText(amount, i.currency);

const TENANT_COLUMN: TableColumn<Invoice> = {
  title: 'Tenant',
  render: i =>
    i.tenantRef ? (
      <EntityRefLink entityRef={i.tenantRef} defaultKind="tenant" />
    ) : (
      i.tenant ?? '—'
    ),
};

const COLUMNS: TableColumn<Invoice>[] = [
  { title: 'Number', render: i => <NumberCell invoice={i} /> },
  { title: 'Status', render: i => <InvoiceStatusChip status={i.status} /> },
  {
    title: 'Total',
    render: i => <span data-testid="invoice-total">{money(i.total, i)}</span>,
  },
  {
    title: 'Due',
    render: i => <span data-testid="invoice-due">{money(i.amountDue, i)}</span>,
  },
  {
    title: 'Paid',
    render: i => (
      <span data-testid="invoice-paid">{money(i.amountPaid, i)}</span>
    ),
  },
  { title: 'Currency', field: 'currency' },
  {
    title: 'Period',
    render: i =>
      i.periodStart || i.periodEnd
        ? `${day(i.periodStart)} – ${day(i.periodEnd)}`
        : '—',
  },
  { title: 'Due date', render: i => day(i.dueDate) },
  { title: '', render: i => <LinksCell invoice={i} /> },
];

/**
 * One page of invoices — number, status, total, amount due and paid in the
 * invoice's currency, period, due date, the links to Stripe's hosted
 * invoice and PDF once finalized — with its loading, error and empty
 * states. `withTenant` adds the tenant (a partner's invoices).
 */
export function InvoiceTable(props: {
  list: { value?: InvoiceList; error?: Error; loading: boolean };
  page: LocalPage;
  onPageChange: (page: LocalPage) => void;
  withTenant?: boolean;
  empty: { title: string; description: string };
}) {
  const { list, page, onPageChange, withTenant, empty } = props;
  const result = list.value;
  return (
    <PageState
      inline
      loading={list.loading}
      error={list.error}
      empty={result?.total === 0 && empty}
    >
      {() => (
        <ServerPagedTable<Invoice>
          title="Invoices"
          columns={withTenant ? [TENANT_COLUMN, ...COLUMNS] : COLUMNS}
          items={result?.items ?? []}
          total={result?.total ?? 0}
          page={page.page}
          pageSize={page.pageSize}
          onPageChange={onPageChange}
          rowProps={i => ({
            'data-testid': 'invoice-row',
            'data-invoice': i.id,
            'data-status': i.status,
          })}
        />
      )}
    </PageState>
  );
}
