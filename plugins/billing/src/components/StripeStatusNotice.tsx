import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import Alert from '@material-ui/lab/Alert';
import useAsync from 'react-use/esm/useAsync';
import { billingApiRef, errorMessage } from '../api';

/**
 * Whether billing makes live Stripe calls, as the server says (`/status`):
 * not connected, a notice with the server's why (every amount on the page
 * is then the local bookkeeping); connected, a small line naming the mode
 * — live mode is real money. Nothing while it loads.
 */
export function StripeStatusNotice() {
  const api = useApi(billingApiRef);
  const { value, error } = useAsync(() => api.status(), [api]);
  if (error) {
    return (
      <Alert
        severity="warning"
        data-testid="stripe-status-error"
        style={{ marginBottom: 16 }}
      >
        Whether Stripe is connected is unknown: {errorMessage(error)}
      </Alert>
    );
  }
  if (!value) return null;
  const { stripe } = value;
  if (!stripe.connected) {
    return (
      <Alert
        severity="info"
        data-testid="stripe-notice"
        style={{ marginBottom: 16 }}
      >
        {stripe.message}
      </Alert>
    );
  }
  return (
    <Box display="flex" alignItems="center" mb={2} style={{ gap: 4 }}>
      <CheckCircleIcon fontSize="small" color="primary" />
      <Tooltip title={stripe.message}>
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="stripe-connected"
          data-livemode={String(stripe.livemode)}
        >
          Stripe connected ({stripe.livemode ? 'live mode' : 'test mode'})
        </Typography>
      </Tooltip>
    </Box>
  );
}
