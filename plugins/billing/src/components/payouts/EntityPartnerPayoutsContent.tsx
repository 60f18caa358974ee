import { LinkButton } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import AssessmentIcon from '@material-ui/icons/Assessment';
import { reportsRouteRef } from '../../routes';
import { PayoutLedger } from './PayoutLedger';

/**
 * The Payouts tab of a Partner's page: the partner's payout ledger (the
 * ledger of the Billing page narrowed to it, without the partner column)
 * and a link to the Reports page filtered to its tenants. Partner staff see
 * their own partner's (the server scopes both); operators also mark closed
 * payouts paid here.
 */
export function EntityPartnerPayoutsContent() {
  const { entity } = useEntity();
  const partner = entity.metadata.name;
  const reports = useRouteRef(reportsRouteRef)?.() ?? '/billing/reports';
  return (
    <Box>
      <Box display="flex" justifyContent="flex-end" mb={2}>
        <LinkButton
          variant="outlined"
          color="primary"
          startIcon={<AssessmentIcon />}
          to={`${reports}?${new URLSearchParams({ partner })}`}
        >
          Reports for this partner
        </LinkButton>
      </Box>
      <PayoutLedger partner={partner} />
    </Box>
  );
}
