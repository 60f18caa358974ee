import { formatTime, useNow } from '@internal/plugin-dezky-react';
import { ago, dueIn, nextRetry, teardownIn } from './provisioningText';

/** "3 min ago", kept current; the local time in its title. */
export function Ago(props: { at?: string }) {
  const now = useNow(1000);
  return <span title={formatTime(props.at)}>{ago(props.at, now)}</span>;
}

/** "next retry in 2 min 10 s", counting down; the local time in its title. */
export function RetryCountdown(props: { at: string }) {
  const now = useNow(1000);
  return (
    <span title={formatTime(props.at)} data-testid="step-retry">
      {nextRetry(props.at, now)}
    </span>
  );
}

/** "torn down in 6 d 4 h", counting down to the end of a grace period; the local time in its title. */
export function TeardownCountdown(props: { at: string }) {
  const now = useNow(1000);
  return (
    <span title={formatTime(props.at)} data-testid="termination-countdown">
      {teardownIn(props.at, now)}
    </span>
  );
}

/** "in 45 min", counting down to a scheduled check; the local time in its title. */
export function DueIn(props: { at?: string }) {
  const now = useNow(1000);
  return <span title={formatTime(props.at)}>{dueIn(props.at, now)}</span>;
}
