import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { AuditEvent } from '@internal/plugin-audit-common';
import { AuditEventsQueryWithTier, auditApiRef } from '../api';

interface EventsState {
  items: AuditEvent[];
  nextCursor?: string;
  loading: boolean;
  loadingMore: boolean;
  error?: Error;
  moreError?: Error;
}

const initial: EventsState = { items: [], loading: true, loadingMore: false };

/**
 * The events matching a query, newest first, plus `loadMore` for the next
 * (older) page through the server's cursor. A new query starts over; answers
 * for a query that is no longer current are dropped.
 */
export function useAuditEvents(query: AuditEventsQueryWithTier) {
  const api = useApi(auditApiRef);
  const key = JSON.stringify(query);
  const current = useRef(key);
  const [state, setState] = useState<EventsState>(initial);

  useEffect(() => {
    current.current = key;
    setState(initial);
    api.getEvents(JSON.parse(key)).then(
      page => {
        if (current.current !== key) return;
        setState({
          items: page.items,
          nextCursor: page.nextCursor,
          loading: false,
          loadingMore: false,
        });
      },
      error => {
        if (current.current !== key) return;
        setState({ ...initial, loading: false, error });
      },
    );
  }, [api, key]);

  const { nextCursor, loadingMore } = state;
  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    setState(s => ({ ...s, loadingMore: true, moreError: undefined }));
    api.getEvents({ ...JSON.parse(key), cursor: nextCursor }).then(
      page => {
        if (current.current !== key) return;
        setState(s => ({
          ...s,
          items: [...s.items, ...page.items],
          nextCursor: page.nextCursor,
          loadingMore: false,
        }));
      },
      error => {
        if (current.current !== key) return;
        setState(s => ({ ...s, loadingMore: false, moreError: error }));
      },
    );
  }, [api, key, nextCursor, loadingMore]);

  return { ...state, loadMore };
}
