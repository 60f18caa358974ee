import { useEffect, useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Payout } from '@internal/plugin-billing-common';
import { ConfirmDialog } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage, PayoutGeneration } from '../../api';
import { moneyText } from '../money';
import { dayOf, isDay, isMonth } from '../days';

/** The longest transfer reference the server takes. */
const MAX_REFERENCE = 200;

/** `partner:default/nordlicht-it` → `nordlicht-it`. */
export const partnerName = (ref: string) => ref.split(/[:/]/).pop() ?? ref;

/** A payout for people: `nordlicht-it · 2026-11 · €148.75`. */
export const payoutText = (p: Payout) =>
  `${partnerName(p.partnerRef)} · ${p.month} · ${moneyText(
    p.amount,
    p.currency,
  )}`;

/** What a generation did, for people. */
export function generationText(g: PayoutGeneration): string {
  const closedOnTheWay = g.closedMonths.length
    ? ` Closed on the way: ${g.closedMonths.join(', ')}.`
    : '';
  return (
    `Payouts for ${g.month} from the snapshot of ${g.snapshotDay}: ` +
    `${g.created} created, ${g.changed} changed, ` +
    `${g.closed} closed.${closedOnTheWay}`
  );
}

/**
 * "Generate payouts" (operators): for the current month, or a month given
 * (a past month is generated closed); the months that ended are closed on
 * the way. The dialog is the confirmation; the server's refusal (no
 * snapshot in the month, a month not begun) shows in it.
 */
export function GeneratePayoutsDialog(props: {
  open: boolean;
  onClose: () => void;
  onGenerated: (generation: PayoutGeneration) => void;
}) {
  const { open, onClose, onGenerated } = props;
  const api = useApi(billingApiRef);
  const id = useId();
  const [month, setMonth] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (open) {
      setMonth('');
      setError(undefined);
    }
  }, [open]);
  const current = dayOf(new Date()).slice(0, 7);
  let monthError: string | undefined;
  if (month !== '' && !isMonth(month)) {
    monthError = 'A month, YYYY-MM (e.g. 2026-11)';
  } else if (month > current) {
    monthError = `${month} has not begun: the current month is ${current}`;
  }

  const generate = async () => {
    if (monthError) return;
    setBusy(true);
    setError(undefined);
    try {
      onGenerated(await api.generatePayouts(month || undefined));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={open}
      title="Generate payouts?"
      confirmLabel="Generate"
      busy={busy}
      confirmDisabled={Boolean(monthError)}
      onConfirm={generate}
      onCancel={onClose}
    >
      <Typography variant="body2" component="div">
        Computes every partner’s payout per currency from the month’s latest MRR
        snapshot and the partner’s margin, and closes the months that have
        ended. Regenerating changes nothing that is already right; closed and
        paid payouts keep their figures.
      </Typography>
      <TextField
        fullWidth
        margin="normal"
        id={`${id}-month`}
        type="month"
        label="Month (optional)"
        value={month}
        onChange={e => setMonth(e.target.value)}
        error={Boolean(monthError)}
        helperText={
          monthError ??
          `Empty: the current month (${current}). A past month is generated closed.`
        }
        InputLabelProps={{ shrink: true }}
        inputProps={{ placeholder: 'YYYY-MM' }}
      />
      {error && (
        <Alert severity="error" data-testid="generate-error">
          {error}
        </Alert>
      )}
    </ConfirmDialog>
  );
}

/**
 * "Mark paid" for a closed payout (operators), in two steps: the
 * transfer's reference and its day, then a confirmation naming the
 * partner, the month and the amount — a paid payout never changes. The
 * server's refusal shows in the dialog.
 */
export function MarkPaidDialog(props: {
  payout?: Payout;
  onClose: () => void;
  onPaid: (payout: Payout) => void;
}) {
  const { payout, onClose, onPaid } = props;
  const api = useApi(billingApiRef);
  const id = useId();
  const [step, setStep] = useState<'form' | 'confirm'>('form');
  const [reference, setReference] = useState('');
  const [paidOn, setPaidOn] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (payout) {
      setStep('form');
      setReference('');
      setPaidOn(dayOf(new Date()));
      setTouched(false);
      setError(undefined);
    }
  }, [payout]);

  const trimmed = reference.trim();
  let referenceError: string | undefined;
  if (trimmed === '') referenceError = 'Enter the transfer’s reference';
  else if (trimmed.length > MAX_REFERENCE) {
    referenceError = `At most ${MAX_REFERENCE} characters`;
  }
  const paidOnError = isDay(paidOn)
    ? undefined
    : 'Enter the day it was paid, YYYY-MM-DD';
  const valid = !referenceError && !paidOnError;

  const confirm = async () => {
    if (!payout || !valid) return;
    if (step === 'form') {
      setStep('confirm');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onPaid(
        await api.markPayoutPaid(payout.id, { reference: trimmed, paidOn }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!payout) return null;
  return (
    <ConfirmDialog
      open
      title={step === 'form' ? 'Mark payout paid' : 'Mark this payout paid?'}
      confirmLabel={step === 'form' ? 'Continue' : 'Mark paid'}
      busy={busy}
      confirmDisabled={!valid}
      onConfirm={confirm}
      onCancel={onClose}
    >
      {step === 'form' ? (
        <>
          <Typography variant="body2" component="div" data-testid="paid-payout">
            {payoutText(payout)} ({payout.marginPct} % of{' '}
            {moneyText(payout.grossMrr, payout.currency)})
          </Typography>
          <TextField
            required
            fullWidth
            margin="normal"
            id={`${id}-reference`}
            label="Reference"
            value={reference}
            onChange={e => setReference(e.target.value)}
            onBlur={() => setTouched(true)}
            error={touched && Boolean(referenceError)}
            helperText={
              touched && referenceError
                ? referenceError
                : 'The bank transfer’s reference'
            }
            inputProps={{ spellCheck: false }}
          />
          <TextField
            required
            fullWidth
            margin="normal"
            id={`${id}-paid-on`}
            type="date"
            label="Paid on"
            value={paidOn}
            onChange={e => setPaidOn(e.target.value)}
            error={Boolean(paidOnError)}
            helperText={paidOnError ?? 'The day the transfer was made'}
            InputLabelProps={{ shrink: true }}
          />
        </>
      ) : (
        <Typography variant="body2" component="div" data-testid="paid-confirm">
          {partnerName(payout.partnerRef)} is paid{' '}
          {moneyText(payout.amount, payout.currency)} for {payout.month}:
          reference {trimmed}, paid on {paidOn}. A paid payout never changes.
        </Typography>
      )}
      {error && (
        <Alert severity="error" data-testid="paid-error">
          {error}
        </Alert>
      )}
    </ConfirmDialog>
  );
}
