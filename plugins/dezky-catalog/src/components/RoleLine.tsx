import { PartnerEntityV1alpha1 } from '@internal/plugin-dezky-catalog-common';
import Typography from '@material-ui/core/Typography';
import { useIsOperator, useStaffPartners } from '../role';

/** Tells the user whose data they are looking at. */
export function RoleLine(props: { partners: PartnerEntityV1alpha1[] }) {
  const operator = useIsOperator();
  const staffOf = useStaffPartners(props.partners);
  if (operator.loading || staffOf.loading) return null;
  let text = 'You see only your own user: ask an operator for access.';
  if (operator.isOperator) {
    text = 'Operator: you see and run every partner and tenant.';
  } else if (staffOf.value?.length) {
    const names = staffOf.value
      .map(p => p.metadata.title ?? p.metadata.name)
      .join(', ');
    text = `Partner staff of ${names}: you see this partner and its tenants only.`;
  }
  return (
    <Typography variant="body1" color="textSecondary" data-testid="dezky-role">
      {text}
    </Typography>
  );
}
