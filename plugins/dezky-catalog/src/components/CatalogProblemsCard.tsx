import { InfoCard, ResponseErrorPanel } from '@backstage/core-components';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { CatalogProblem } from '../hooks';

/**
 * Entities the catalog refused (invalid YAML, unknown partner, ...), each with
 * the field and the reason, so an edit that broke something is visible here
 * and not only in the backend log.
 */
export function CatalogProblemsCard(props: {
  problems?: CatalogProblem[];
  error?: Error;
}) {
  const { problems, error } = props;
  return (
    <InfoCard
      title="Catalog problems"
      subheader="Entities in catalog/ that could not be loaded; fix the YAML (scripts/validate-catalog shows the same)."
    >
      {error ? <ResponseErrorPanel error={error} /> : null}
      {problems && problems.length === 0 ? (
        <Typography data-testid="catalog-problems-none">
          None: every entity in catalog/ loaded.
        </Typography>
      ) : null}
      {problems && problems.length > 0 ? (
        <List dense data-testid="catalog-problems">
          {problems.map(p => (
            <ListItem key={p.entityRef} divider>
              <ListItemText
                primary={p.entityRef}
                secondary={
                  <>
                    {p.messages.map(m => (
                      <Typography
                        key={m}
                        variant="body2"
                        color="error"
                        component="span"
                        display="block"
                      >
                        {m}
                      </Typography>
                    ))}
                    {p.location ? (
                      <Typography
                        variant="caption"
                        component="span"
                        display="block"
                      >
                        {p.location}
                      </Typography>
                    ) : null}
                  </>
                }
              />
            </ListItem>
          ))}
        </List>
      ) : null}
    </InfoCard>
  );
}
