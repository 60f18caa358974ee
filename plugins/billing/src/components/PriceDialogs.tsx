import { useEffect, useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import {
  BILLING_CYCLES,
  BillingCycle,
  formatMoney,
  isCurrency,
  Price,
} from '@internal/plugin-billing-common';
import { ConfirmDialog } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage, isConflict } from '../api';
import { amountInput, parseAmount } from './amount';

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

/**
 * "Edit" of a price row: the new amount, then a confirmation showing the
 * old → new amount and version. The edit names the version on screen; when
 * another edit came first (409) `onConflict` gets the server's message (the
 * page reloads); other refusals are shown in the dialog.
 */
export function EditPriceDialog(props: {
  price?: Price;
  onClose: () => void;
  onSaved: (price: Price) => void;
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
      <ConfirmDialog
        open
        title={`Change the price of ${priceLabel(price)}?`}
        confirmLabel="Change price"
        busy={busy}
        onConfirm={save}
        onCancel={() => setConfirming(false)}
      >
        <span data-testid="price-change">
          {money(price.perSeatAmount)} → {money(parsed.minor)}
        </span>{' '}
        per seat and {price.cycle === 'monthly' ? 'month' : 'year'}: version{' '}
        {price.version} → {price.version + 1}. The current amount stays in the
        price's history.
        {error && (
          <Alert severity="error" data-testid="price-dialog-error">
            {error}
          </Alert>
        )}
      </ConfirmDialog>
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
