import { InfoCard } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { MrrTotal } from '@internal/plugin-billing-common';
import { countOf } from '@internal/plugin-dezky-react';
import { moneyText } from './money';

/**
 * One card per currency: MRR and paused MRR apart, never summed across
 * currencies; `empty` says why there is none.
 */
export function MrrCards(props: { totals: MrrTotal[]; empty: string }) {
  if (props.totals.length === 0) {
    return (
      <Typography color="textSecondary" data-testid="mrr-none">
        {props.empty}
      </Typography>
    );
  }
  return (
    <Grid container spacing={2}>
      {props.totals.map(t => (
        <Grid item xs={12} sm={6} md={3} key={t.currency}>
          <div data-testid="mrr-card" data-currency={t.currency}>
            <InfoCard title={`MRR in ${t.currency}`}>
              <Typography variant="h4" data-testid="mrr">
                {moneyText(t.mrr, t.currency)}
              </Typography>
              <Typography variant="body2" color="textSecondary">
                Paused:{' '}
                <span data-testid="paused-mrr">
                  {moneyText(t.pausedMrr, t.currency)}
                </span>
              </Typography>
              <Typography variant="body2" color="textSecondary">
                {countOf(t.subscriptions, 'subscription')}
              </Typography>
            </InfoCard>
          </div>
        </Grid>
      ))}
    </Grid>
  );
}
