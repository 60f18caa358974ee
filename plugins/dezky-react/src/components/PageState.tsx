import {
  Content,
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { ReactNode } from 'react';

/**
 * The states every Dezky page goes through before it has data: an error
 * panel, a progress bar, or an empty state explaining where data comes from.
 * Renders the children inside the page content once data is there.
 *
 * `inline` is for a part of a page that has its own content around it (a
 * list under filters that stay on screen): the states and the children are
 * rendered as they are, without another `Content`.
 */
export function PageState(props: {
  loading: boolean;
  error?: Error;
  empty?: { title: string; description: string } | false;
  inline?: boolean;
  children: () => ReactNode;
}) {
  const { loading, error, empty, inline, children } = props;
  let body: ReactNode;
  if (error) {
    body = <ResponseErrorPanel error={error} />;
  } else if (loading) {
    body = <Progress />;
  } else if (empty) {
    body = (
      <EmptyState
        missing="data"
        title={empty.title}
        description={empty.description}
      />
    );
  } else {
    body = children();
  }
  return inline ? <>{body}</> : <Content>{body}</Content>;
}
