import { useEffect, useId, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  BILLING_CYCLES,
  BillingCycle,
  formatMoney,
  isCurrency,
  Price,
  PriceDetail,
  PriceImpact,
} from '@internal/plugin-billing-common';
import { ConfirmDialog, countOf } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage, isConflict } from '../api';
import { amountInput, parseAmount } from './amount';
import { useKeyedLoad } from './useKeyedLoad';

/** The plan keys Tenant entities name in `spec.plan` (as the server checks them). */
const PLAN_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** `business · EUR · monthly` */
export const priceLabel = (p: Pick<Price, 'plan' | 'currency' | 'cycle'>) =>
  `${p.plan} · ${p.currency} · ${p.cycle}`;

/** The amount field: what was typed, read in the currency, with what it means or why not. */
function AmountField(props: {
  id: string;
  value: string;
  currency: string;
  onChange: (value: string) => void;
  help?: string;
}) {
  const { id, value, currency, onChange, help } = props;
  const known = isCurrency(currency);
  const parsed = known ? parseAmount(value, currency) : undefined;
  let helperText = help ?? 'Per seat and cycle, e.g. 11.90';
  if (value !== '' && parsed?.ok) {
    helperText = `${formatMoney({ amount: parsed.minor, currency })} per seat`;
  } else if (value !== '' && parsed && !parsed.ok) {
    helperText = `Enter ${parsed.error}`;
  }
  return (
    <TextField
      required
      fullWidth
      margin="normal"
      id={id}
      label={`Amount per seat${known ? ` (${currency})` : ''}`}
      value={value}
      onChange={e => onChange(e.target.value)}
      error={value !== '' && parsed !== undefined && !parsed.ok}
      helperText={helperText}
      inputProps={{ inputMode: 'decimal', 'data-testid': 'amount-input' }}
    />
  );
}

/**
 * "Add price": plan, currency, cycle and the amount per seat typed as a
 * decimal (11.90), sent in minor units. The server's refusal (the row
 * exists, a bad field) is shown in the dialog.
 */
export function AddPriceDialog(props: {
  open: boolean;
  onClose: () => void;
  onAdded: (price: Price) => void;
}) {
  const { open, onClose, onAdded } = props;
  const api = useApi(billingApiRef);
  const id = useId();
  const [plan, setPlan] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [cycle, setCycle] = useState<BillingCycle>('monthly');
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (open) {
      setPlan('');
      setCurrency('EUR');
      setCycle('monthly');
      setAmount('');
      setError(undefined);
    }
  }, [open]);

  const planValid = PLAN_PATTERN.test(plan);
  const currencyValid = isCurrency(currency);
  const parsed = currencyValid ? parseAmount(amount, currency) : undefined;

  const add = async () => {
    if (!planValid || !parsed?.ok) return;
    setBusy(true);
    setError(undefined);
    try {
      onAdded(
        await api.createPrice({
          plan,
          currency,
          cycle,
          perSeatAmount: parsed.minor,
        }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={open}
      title="Add price"
      confirmLabel="Add"
      busy={busy}
      confirmDisabled={!planValid || !parsed?.ok}
      onConfirm={add}
      onCancel={onClose}
    >
      <TextField
        required
        fullWidth
        margin="normal"
        id={`${id}-plan`}
        label="Plan"
        value={plan}
        onChange={e => setPlan(e.target.value)}
        error={plan !== '' && !planValid}
        helperText="The plan key Tenant entities name in spec.plan (lower case letters, digits and -)"
        inputProps={{ spellCheck: false, maxLength: 32 }}
      />
      <TextField
        required
        fullWidth
        margin="normal"
        id={`${id}-currency`}
        label="Currency"
        value={currency}
        onChange={e => setCurrency(e.target.value.toUpperCase())}
        error={!currencyValid}
        helperText={
          currencyValid ? 'ISO 4217' : 'An ISO 4217 code, e.g. EUR or CHF'
        }
        inputProps={{ maxLength: 3 }}
      />
      <TextField
        select
        fullWidth
        margin="normal"
        id={`${id}-cycle`}
        label="Cycle"
        value={cycle}
        onChange={e => setCycle(e.target.value as BillingCycle)}
      >
        {BILLING_CYCLES.map(c => (
          <MenuItem key={c} value={c}>
            {c}
          </MenuItem>
        ))}
      </TextField>
      <AmountField
        id={`${id}-amount`}
        value={amount}
        currency={currency}
        onChange={setAmount}
      />
      {error && (
        <Alert severity="error" data-testid="price-dialog-error">
          {error}
        </Alert>
      )}
    </ConfirmDialog>
  );
}

/** A change of money with its sign: `+€6.00`, `-€6.00`, `€0.00`. */
const signedMoney = (amount: number, currency: string) =>
  `${amount > 0 ? '+' : ''}${formatMoney({ amount, currency })}`;

/**
 * What an edit would change, as the server computes it: the live
 * subscriptions (active or paused) it moves, and per currency their MRR
 * before → after with the change, paused MRR apart.
 */
function ImpactPreview(props: { impact: PriceImpact }) {
  const { impact } = props;
  if (impact.subscriptions === 0) {
    return (
      <Typography variant="body2" data-testid="impact-none" component="div">
        No live subscription is on this price: the edit moves none. Tenants that
        start on it later are billed the new amount.
      </Typography>
    );
  }
  return (
    <Box data-testid="impact">
      <Typography variant="body2" data-testid="impact-subscriptions">
        Moves {countOf(impact.subscriptions, 'live subscription')} (active or
        paused) to the new version:
      </Typography>
      {impact.perCurrency.map(c => {
        const money = (amount: number) =>
          formatMoney({ amount, currency: c.currency });
        return (
          <Box
            key={c.currency}
            mt={1}
            data-testid="impact-currency"
            data-currency={c.currency}
          >
            <Typography variant="subtitle2">
              {c.currency} · {countOf(c.subscriptions, 'subscription')}
            </Typography>
            <Typography variant="body2">
              MRR{' '}
              <span data-testid="impact-mrr">
                {money(c.mrrBefore)} → {money(c.mrrAfter)}
              </span>{' '}
              (
              <span data-testid="impact-change">
                {signedMoney(c.mrrChange, c.currency)}
              </span>
              )
            </Typography>
            {(c.pausedMrrBefore > 0 || c.pausedMrrAfter > 0) && (
              <Typography variant="body2" color="textSecondary">
                Paused MRR{' '}
                <span data-testid="impact-paused-mrr">
                  {money(c.pausedMrrBefore)} → {money(c.pausedMrrAfter)}
                </span>
              </Typography>
            )}
          </Box>
        );
      })}
    </Box>
  );
}

/**
 * The confirmation of an edit: old → new amount and version, and the
 * impact preview for the amount typed; the change can be confirmed only
 * once the impact is on screen.
 */
function ConfirmPriceChange(props: {
  price: Price;
  newAmount: number;
  busy: boolean;
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { price, newAmount, busy, error, onConfirm, onCancel } = props;
  const api = useApi(billingApiRef);
  const impact = useKeyedLoad(`${price.id}:${newAmount}`, () =>
    api.priceImpact(price.id, newAmount),
  );
  const money = (minor: number) =>
    formatMoney({ amount: minor, currency: price.currency });
  let preview;
  if (impact.error) {
    preview = (
      <Alert
        severity="error"
        data-testid="impact-error"
        action={
          <Button color="inherit" size="small" onClick={impact.refresh}>
            Try again
          </Button>
        }
      >
        The impact could not be computed: {errorMessage(impact.error)}. The
        price can be changed once it is shown.
      </Alert>
    );
  } else if (impact.loading || !impact.value) {
    preview = <Progress />;
  } else {
    preview = <ImpactPreview impact={impact.value} />;
  }
  return (
    <ConfirmDialog
      open
      title={`Change the price of ${priceLabel(price)}?`}
      confirmLabel="Change price"
      busy={busy}
      confirmDisabled={!impact.value}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <Typography variant="body2" component="div" gutterBottom>
        <span data-testid="price-change">
          {money(price.perSeatAmount)} → {money(newAmount)}
        </span>{' '}
        per seat and {price.cycle === 'monthly' ? 'month' : 'year'}: version{' '}
        {price.version} → {price.version + 1}. The current amount stays in the
        price's history.
      </Typography>
      {preview}
      {error && (
        <Box mt={2}>
          <Alert severity="error" data-testid="price-dialog-error">
            {error}
          </Alert>
        </Box>
      )}
    </ConfirmDialog>
  );
}

/**
 * "Edit" of a price row: the new amount, then a confirmation showing the
 * old → new amount and version and what the edit moves (the impact
 * preview); only then the edit. `onSaved` gets the price with the
 * re-pricing of the subscriptions the edit moved. The edit names the
 * version on screen; when
 * another edit came first (409) `onConflict` gets the server's message (the
 * page reloads); other refusals are shown in the dialog.
 */
export function EditPriceDialog(props: {
  price?: Price;
  onClose: () => void;
  onSaved: (price: PriceDetail) => void;
  onConflict: (message: string) => void;
}) {
  const { price, onClose, onSaved, onConflict } = props;
  const api = useApi(billingApiRef);
  const id = useId();
  const [amount, setAmount] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (price) {
      setAmount(amountInput(price.perSeatAmount, price.currency));
      setConfirming(false);
      setError(undefined);
    }
  }, [price]);

  if (!price) return null;
  const parsed = parseAmount(amount, price.currency);
  const changed = parsed.ok && parsed.minor !== price.perSeatAmount;
  const money = (minor: number) =>
    formatMoney({ amount: minor, currency: price.currency });

  const save = async () => {
    if (!parsed.ok) return;
    setBusy(true);
    setError(undefined);
    try {
      onSaved(
        await api.updatePrice(price.id, {
          perSeatAmount: parsed.minor,
          version: price.version,
        }),
      );
    } catch (e) {
      if (isConflict(e)) {
        onConflict(errorMessage(e));
      } else {
        setError(errorMessage(e));
      }
    } finally {
      setBusy(false);
    }
  };

  if (confirming && parsed.ok) {
    return (
      <ConfirmPriceChange
        price={price}
        newAmount={parsed.minor}
        busy={busy}
        error={error}
        onConfirm={save}
        onCancel={() => {
          setError(undefined);
          setConfirming(false);
        }}
      />
    );
  }
  return (
    <ConfirmDialog
      open
      title={`Edit ${priceLabel(price)}`}
      confirmLabel="Review"
      confirmDisabled={!changed}
      onConfirm={() => setConfirming(true)}
      onCancel={onClose}
    >
      <AmountField
        id={`${id}-amount`}
        value={amount}
        currency={price.currency}
        onChange={setAmount}
        help={`Now ${money(price.perSeatAmount)} per seat (version ${
          price.version
        })`}
      />
    </ConfirmDialog>
  );
}
