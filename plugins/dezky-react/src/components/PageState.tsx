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
 */
export function PageState(props: {
  loading: boolean;
  error?: Error;
  empty?: { title: string; description: string } | false;
  children: () => ReactNode;
}) {
  const { loading, error, empty, children } = props;
  if (error) {
    return (
      <Content>
        <ResponseErrorPanel error={error} />
      </Content>
    );
  }
  if (loading) {
    return (
      <Content>
        <Progress />
      </Content>
    );
  }
  if (empty) {
    return (
      <Content>
        <EmptyState
          missing="data"
          title={empty.title}
          description={empty.description}
        />
      </Content>
    );
  }
  return <Content>{children()}</Content>;
}
