import { useCallback, useEffect, useState } from 'react';
import {
  Content,
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useAppSearchParams } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Drawer from '@material-ui/core/Drawer';
import AddIcon from '@material-ui/icons/Add';
import { Flag } from '@internal/plugin-flags-common';
import { flagsApiRef } from '../api';
import { FlagPanel } from './FlagPanel';
import { FlagsTable } from './FlagsTable';
import { NewFlagDialog } from './NewFlagDialog';
import { usePermission } from '@backstage/plugin-permission-react';
import { flagManagePermission } from '@internal/plugin-flags-common';
import { useScopeOptions } from './useScopeOptions';

const byKey = (a: Flag, b: Flag) => a.key.localeCompare(b.key);

/** The flags, loaded once and then kept current with the answers of changes. */
function useFlags() {
  const api = useApi(flagsApiRef);
  const [state, setState] = useState<{
    loading: boolean;
    items: Flag[];
    error?: Error;
  }>({ loading: true, items: [] });

  useEffect(() => {
    let live = true;
    api.listFlags().then(
      items =>
        live && setState({ loading: false, items: [...items].sort(byKey) }),
      error => live && setState({ loading: false, items: [], error }),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const put = useCallback((flag: Flag) => {
    setState(s => ({
      ...s,
      items: [...s.items.filter(f => f.key !== flag.key), flag].sort(byKey),
    }));
  }, []);
  const remove = useCallback((key: string) => {
    setState(s => ({ ...s, items: s.items.filter(f => f.key !== key) }));
  }, []);
  return { ...state, put, remove };
}

/**
 * The Flags page: every flag with its state, rollout and scope; a row opens
 * the flag's panel on the right (`?flag=<key>`, so it can be linked).
 * Operators create, change, kill and delete flags; partner staff read.
 */
export function FlagsPage() {
  const flags = useFlags();
  // what the server decides now, not the groups of the sign-in
  const { allowed: canManage } = usePermission({
    permission: flagManagePermission,
  });
  const options = useScopeOptions(flags.items);
  const [search, setSearch] = useAppSearchParams();
  const [creating, setCreating] = useState(false);
  const selectedKey = search.get('flag') ?? undefined;
  const selected = flags.items.find(f => f.key === selectedKey);

  const select = (key: string | undefined) =>
    setSearch(previous => {
      const next = new URLSearchParams(previous);
      if (key) next.set('flag', key);
      else next.delete('flag');
      return next;
    });

  const newButton = canManage ? (
    <Button
      variant="contained"
      color="primary"
      startIcon={<AddIcon />}
      onClick={() => setCreating(true)}
    >
      New flag
    </Button>
  ) : undefined;

  let body;
  if (flags.error) {
    body = <ResponseErrorPanel error={flags.error} />;
  } else if (flags.loading) {
    body = <Progress />;
  } else if (flags.items.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No flags yet"
        description={
          canManage
            ? 'Create the first one with "New flag". A new flag starts off for every tenant.'
            : 'Flags appear here once the platform operators create them.'
        }
      />
    );
  } else {
    body = (
      <FlagsTable
        flags={flags.items}
        selectedKey={selectedKey}
        onSelect={select}
      />
    );
  }

  return (
    <Content>
      <InfoCard
        title="Feature flags"
        subheader="Click a flag to see its rule, its preview over the tenants and its history."
        action={newButton}
      >
        {body}
      </InfoCard>
      <Drawer
        anchor="right"
        open={!!selected}
        onClose={() => select(undefined)}
      >
        {selected && (
          <FlagPanel
            key={selected.key}
            flag={selected}
            canEdit={canManage}
            options={options}
            onChanged={flags.put}
            onDeleted={key => {
              flags.remove(key);
              select(undefined);
            }}
            onClose={() => select(undefined)}
          />
        )}
      </Drawer>
      <NewFlagDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={flag => {
          flags.put(flag);
          setCreating(false);
          select(flag.key);
        }}
      />
    </Content>
  );
}
