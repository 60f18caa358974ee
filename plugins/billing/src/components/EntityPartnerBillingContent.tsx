import { useState } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { Invoice } from '@internal/plugin-billing-common';
import { FilterSelect, SERVER_PAGE_SIZES } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage } from '../api';
import { InvoiceTable } from './InvoiceTable';
import { MrrCards } from './MrrCards';
import { LocalPage, useKeyedLoad } from './useKeyedLoad';

const INVOICE_STATUSES: readonly Invoice['status'][] = [
  'draft',
  'open',
  'paid',
  'uncollectible',
  'void',
];

/** The partner's MRR per currency: its entry of the MRR report. */
function PartnerMrr(props: { partnerRef: string }) {
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
  const ref = props.partnerRef.toLocaleLowerCase('en-US');
  const entry = value.partners.find(
    p => p.partnerRef.toLocaleLowerCase('en-US') === ref,
  );
  return (
    <MrrCards
      totals={entry?.totals ?? []}
      empty="No MRR yet: none of this partner's tenants has an active or paused subscription."
    />
  );
}

function PartnerInvoices(props: { partner: string }) {
  const { partner } = props;
  const api = useApi(billingApiRef);
  const [status, setStatus] = useState<Invoice['status'] | ''>('');
  const [page, setPage] = useState<LocalPage>({
    page: 0,
    pageSize: SERVER_PAGE_SIZES[0],
  });
  const filters = {
    partner,
    ...(status ? { status } : {}),
    limit: page.pageSize,
    offset: page.page * page.pageSize,
  };
  const list = useKeyedLoad(JSON.stringify(filters), () =>
    api.listInvoices(filters),
  );
  return (
    <>
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        <Grid item xs={12} sm={4} md={3}>
          <FilterSelect
            id="filter-invoice-status"
            label="Invoice status"
            value={status}
            options={INVOICE_STATUSES}
            onChange={next => {
              setStatus(next as Invoice['status'] | '');
              setPage(p => ({ ...p, page: 0 }));
            }}
          />
        </Grid>
      </Grid>
      <InvoiceTable
        withTenant
        list={list}
        page={page}
        onPageChange={setPage}
        empty={
          status
            ? {
                title: 'No invoice in this status',
                description:
                  'Pick another status, or All: only the partner’s invoices in the chosen status are listed.',
              }
            : {
                title: 'No invoices yet',
                description:
                  'The invoices of the partner’s tenants appear here once Stripe has sent them.',
              }
        }
      />
    </>
  );
}

/**
 * The Billing tab of a Partner's page: the MRR of its tenants per currency
 * (paused apart, never summed across currencies) and their invoices,
 * filtered by status and paged. Partner staff see their own partner's
 * (the server scopes both).
 */
export function EntityPartnerBillingContent() {
  const { entity } = useEntity();
  // as the MRR report names partners: partner:<namespace>/<name>
  const partnerRef = `partner:${entity.metadata.namespace ?? 'default'}/${
    entity.metadata.name
  }`;
  return (
    <Box>
      <InfoCard title="MRR of the partner’s tenants">
        <PartnerMrr partnerRef={partnerRef} />
      </InfoCard>
      <Box mt={3}>
        <PartnerInvoices partner={entity.metadata.name} />
      </Box>
    </Box>
  );
}
