import { ComponentProps, useState } from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { Flag } from '@internal/plugin-flags-common';
import { flagsApiRef, FlagsApi } from '../api';
import {
  aFlag,
  fakeFlagsApi,
  historyEvent,
  notAllowed,
  responseError,
} from '../testing/fakes';
import { FlagPanel } from './FlagPanel';
import { ScopeOptions } from './useScopeOptions';

const options: ScopeOptions = {
  plans: ['business', 'starter'],
  tenants: ['acme', 'globex'],
  partners: ['nordlicht-it'],
  environments: ['production', 'staging'],
};

type PanelProps = ComponentProps<typeof FlagPanel>;

/** The panel as the page holds it: the flag a change returns replaces the old. */
function Stateful(props: PanelProps) {
  const [flag, setFlag] = useState(props.flag);
  return (
    <FlagPanel
      {...props}
      flag={flag}
      onChanged={f => {
        props.onChanged(f);
        setFlag(f);
      }}
    />
  );
}

async function renderPanel(
  api: jest.Mocked<FlagsApi>,
  flag: Flag,
  extra: Partial<PanelProps> = {},
) {
  const props = {
    flag,
    canEdit: true,
    options,
    onChanged: jest.fn(),
    onDeleted: jest.fn(),
    onClose: jest.fn(),
    ...extra,
  };
  const result = renderInTestApp(<Stateful {...props} />, {
    apis: [[flagsApiRef, api]],
  });
  await historySettled();
  return { ...result, props };
}

/** Waits for the history to have loaded (it reloads after changes). */
async function historySettled() {
  await waitFor(() =>
    expect(screen.getByTestId('flag-history')).toHaveAttribute(
      'aria-busy',
      'false',
    ),
  );
}

const saveButton = () => screen.getByRole('button', { name: 'Save' });

describe('FlagPanel', () => {
  it('enables Save only when something changed and sends only what changed', async () => {
    const flag = aFlag({ state: 'off' });
    const saved = aFlag({
      state: 'rollout',
      pct: 25,
      updatedAt: '2026-11-26T10:00:00.000Z',
    });
    const api = fakeFlagsApi({
      updateFlag: jest.fn(async () => saved),
      preview: jest.fn(async () => ({ matching: 3, total: 12 })),
    });
    const { props } = await renderPanel(api, flag);
    await screen.findByText('No changes recorded yet.');
    expect(saveButton()).toBeDisabled();

    fireEvent.click(screen.getByRole('button', { name: 'rollout' }));
    expect(saveButton()).toBeEnabled();
    fireEvent.change(screen.getByLabelText('Rollout %'), {
      target: { value: '25' },
    });

    // the preview counts the unsaved rule
    await waitFor(() =>
      expect(screen.getByTestId('rollout-preview')).toHaveTextContent(
        '≈ 3 of 12 tenants',
      ),
    );
    expect(api.preview).toHaveBeenLastCalledWith({
      key: 'gdpr_export_v2',
      state: 'rollout',
      pct: 25,
      scope: flag.scope,
    });

    fireEvent.click(saveButton());
    await waitFor(() => expect(props.onChanged).toHaveBeenCalledWith(saved));
    expect(api.updateFlag).toHaveBeenCalledTimes(1);
    expect(api.updateFlag).toHaveBeenCalledWith('gdpr_export_v2', {
      state: 'rollout',
      pct: 25,
    });
    // the history reloads after the save
    await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(2));
    await historySettled();

    // the saved flag comes back: nothing left to save
    await waitFor(() => expect(saveButton()).toBeDisabled());
    expect(screen.getByLabelText('Rollout %')).toHaveValue(25);
  });

  it('sends a description change alone, and Discard goes back', async () => {
    const api = fakeFlagsApi({ updateFlag: jest.fn(async () => aFlag()) });
    await renderPanel(api, aFlag());
    const description = screen.getByLabelText(/Description/);
    fireEvent.change(description, { target: { value: 'Export v2' } });
    expect(saveButton()).toBeEnabled();
    fireEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(description).toHaveValue('The new GDPR data export');
    expect(saveButton()).toBeDisabled();

    fireEvent.change(description, { target: { value: ' ' } });
    expect(saveButton()).toBeDisabled();
    expect(screen.getByText('A description is required')).toBeInTheDocument();
    fireEvent.change(description, { target: { value: 'Export v2' } });
    fireEvent.click(saveButton());
    await waitFor(() =>
      expect(api.updateFlag).toHaveBeenCalledWith('gdpr_export_v2', {
        description: 'Export v2',
      }),
    );
  });

  it('asks for the preview once the value is still, with the scope picked', async () => {
    const api = fakeFlagsApi({
      preview: jest.fn(async r => ({
        matching: r.scope.plans.length ? 2 : 5,
        total: 12,
      })),
    });
    await renderPanel(api, aFlag({ state: 'rollout', pct: 10 }));
    await waitFor(() => expect(api.preview).toHaveBeenCalledTimes(1));

    const field = screen.getByLabelText('Rollout %');
    fireEvent.change(field, { target: { value: '3' } });
    fireEvent.change(field, { target: { value: '33.333' } });
    const plans = screen.getByLabelText('Plans');
    fireEvent.change(plans, { target: { value: 'business' } });
    fireEvent.keyDown(plans, { key: 'Enter' });

    await waitFor(() =>
      expect(screen.getByTestId('rollout-preview')).toHaveTextContent(
        '≈ 2 of 12 tenants',
      ),
    );
    // one call for the settled rule, none for the values typed on the way
    expect(api.preview).toHaveBeenCalledTimes(2);
    expect(api.preview).toHaveBeenLastCalledWith({
      key: 'gdpr_export_v2',
      state: 'rollout',
      pct: 33.33,
      scope: {
        plans: ['business'],
        tenants: [],
        partners: [],
        environments: [],
      },
    });
  });

  it('moves the slider and the field together', async () => {
    const api = fakeFlagsApi();
    await renderPanel(api, aFlag({ state: 'rollout', pct: 10 }));
    const slider = screen.getByRole('slider');
    expect(slider).toHaveAttribute('aria-valuenow', '10');
    fireEvent.keyDown(slider, { key: 'End' });
    expect(screen.getByLabelText('Rollout %')).toHaveValue(100);
    fireEvent.change(screen.getByLabelText('Rollout %'), {
      target: { value: '12.5' },
    });
    expect(slider).toHaveAttribute('aria-valuenow', '12.5');
  });

  it('targets with chips and saves the scope and the state', async () => {
    const api = fakeFlagsApi({ updateFlag: jest.fn(async () => aFlag()) });
    await renderPanel(api, aFlag());
    expect(screen.queryByTestId('flag-scope')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'targeted' }));

    const tenants = screen.getByLabelText('Tenants');
    fireEvent.change(tenants, { target: { value: 'acme' } });
    fireEvent.click(await screen.findByRole('option', { name: 'acme' }));
    // free typing works too
    fireEvent.change(tenants, { target: { value: ' initech ' } });
    fireEvent.keyDown(tenants, { key: 'Enter' });
    const scope = screen.getByTestId('flag-scope');
    expect(within(scope).getByText('acme')).toBeInTheDocument();
    expect(within(scope).getByText('initech')).toBeInTheDocument();

    await waitFor(() =>
      expect(api.preview).toHaveBeenLastCalledWith({
        key: 'gdpr_export_v2',
        state: 'targeted',
        pct: 0,
        scope: {
          plans: [],
          tenants: ['acme', 'initech'],
          partners: [],
          environments: [],
        },
      }),
    );
    expect(screen.getByTestId('rollout-preview')).toHaveTextContent(
      '0 of 10 tenants in scope',
    );
    fireEvent.click(saveButton());
    await waitFor(() =>
      expect(api.updateFlag).toHaveBeenCalledWith('gdpr_export_v2', {
        state: 'targeted',
        scope: {
          plans: [],
          tenants: ['acme', 'initech'],
          partners: [],
          environments: [],
        },
      }),
    );
  });

  it("shows the server's refusal of a save and keeps the edits", async () => {
    const api = fakeFlagsApi({
      updateFlag: jest.fn(async () => {
        throw await responseError(400, 'pct: at most two decimals');
      }),
    });
    const { props } = await renderPanel(api, aFlag());
    fireEvent.click(screen.getByRole('button', { name: 'on' }));
    fireEvent.click(saveButton());
    expect(await screen.findByTestId('flag-error')).toHaveTextContent(
      'pct: at most two decimals',
    );
    expect(props.onChanged).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'on' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(saveButton()).toBeEnabled();
  });

  it('kills the flag only after confirmation', async () => {
    const killed = aFlag({ state: 'off', pct: 0 });
    const api = fakeFlagsApi({ killFlag: jest.fn(async () => killed) });
    const { props } = await renderPanel(
      api,
      aFlag({ state: 'rollout', pct: 40 }),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    let dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Kill gdpr_export_v2?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.killFlag).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    dialog = await screen.findByRole('dialog', {
      name: 'Kill gdpr_export_v2?',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Kill' }));
    await waitFor(() => expect(props.onChanged).toHaveBeenCalledWith(killed));
    expect(api.killFlag).toHaveBeenCalledWith('gdpr_export_v2');
    await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(2));
    await historySettled();
  });

  it('says who may change flags when the server refuses (403)', async () => {
    const api = fakeFlagsApi({
      killFlag: jest.fn(async () => {
        throw await notAllowed();
      }),
    });
    const { props } = await renderPanel(api, aFlag({ state: 'on' }));
    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Kill' }));
    expect(await screen.findByTestId('flag-error')).toHaveTextContent(
      'Only platform operators can change flags (Not allowed: flags.flag.manage).',
    );
    expect(props.onChanged).not.toHaveBeenCalled();
  });

  it('deletes after confirmation', async () => {
    const api = fakeFlagsApi({ deleteFlag: jest.fn(async () => undefined) });
    const { props } = await renderPanel(api, aFlag());
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() =>
      expect(props.onDeleted).toHaveBeenCalledWith('gdpr_export_v2'),
    );
    expect(api.deleteFlag).toHaveBeenCalledWith('gdpr_export_v2');
  });

  it('lists the history newest first with the diff and the actor', async () => {
    const api = fakeFlagsApi({
      getHistory: jest.fn(async () => [
        historyEvent({ seq: 3, action: 'flag.created', metadata: {} }),
        historyEvent({
          seq: 9,
          action: 'flag.updated',
          actor: { type: 'user', email: 'bob@dezky.example' },
          metadata: {
            state: { from: 'off', to: 'rollout' },
            pct: { from: 0, to: 25 },
          },
        }),
      ]),
    });
    await renderPanel(api, aFlag());
    const events = await screen.findAllByTestId('history-event');
    expect(events).toHaveLength(2);
    expect(events[0]).toHaveTextContent('flag.updated');
    expect(events[0]).toHaveTextContent('by bob@dezky.example');
    expect(
      within(events[0]).getAllByTestId('history-change')[0],
    ).toHaveTextContent('state: off → rollout');
    expect(events[0]).toHaveTextContent('pct: 0 % → 25 %');
    expect(events[1]).toHaveTextContent('flag.created');
    expect(events[1]).toHaveTextContent('by anna.schmidt@dezky.example');
  });

  it('is read-only without edit rights', async () => {
    const api = fakeFlagsApi();
    await renderPanel(
      api,
      aFlag({
        state: 'targeted',
        scope: {
          plans: ['business'],
          tenants: [],
          partners: [],
          environments: [],
        },
      }),
      { canEdit: false },
    );
    await screen.findByText('No changes recorded yet.');
    for (const name of ['Save', 'Kill switch', 'Delete']) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
    expect(screen.getByRole('button', { name: 'targeted' })).toBeDisabled();
    expect(screen.queryByLabelText(/Description/)).toBeNull();
    expect(screen.getByTestId('scope-plans')).toHaveTextContent('business');
    expect(screen.queryByRole('combobox')).toBeNull();
  });

  it('says how many tenants and partners of others a staff view of the scope leaves out', async () => {
    const api = fakeFlagsApi();
    await renderPanel(
      api,
      aFlag({
        state: 'targeted',
        scope: {
          plans: [],
          tenants: ['acme'],
          partners: [],
          environments: [],
        },
        hidden: { tenants: 2, partners: 1 },
      }),
      { canEdit: false },
    );
    expect(screen.getByTestId('flag-scope-hidden')).toHaveTextContent(
      'Also in this scope, not shown to you: +2 other tenants and +1 other partner.',
    );
  });
});
