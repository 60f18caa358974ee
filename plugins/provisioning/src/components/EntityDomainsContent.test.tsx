import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { TenantDomain } from '@internal/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  aDomain,
  deferred,
  fakeProvisioningApi,
  responseError,
} from '../testing/fakes';
import { EntityDomainsContent } from './EntityDomainsContent';

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default' },
  spec: {},
};

const MANAGE = 'provisioning.tenant.domains.manage';

/** The permissions the user has on every tenant, by name. */
function allowing(...names: string[]) {
  return mockApis.permission({
    authorize: (request: EvaluatePermissionRequest) =>
      names.includes(request.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });
}

/** acme.test: SPF missing, DMARC different (another policy found), never verified. */
const broken = aDomain({
  domain: 'acme.test',
  verifiedAt: undefined,
  recordsBy: {
    spf: { status: 'missing', found: undefined },
    dmarc: {
      status: 'different',
      found: ['v=DMARC1; p=reject'],
      message: 'p=reject found, p=none expected',
    },
  },
});

function renderTab(
  items: TenantDomain[],
  overrides: Parameters<typeof fakeProvisioningApi>[0] = {},
  permission = allowing(MANAGE),
) {
  const api = fakeProvisioningApi({
    listDomains: jest.fn(async tenant => ({ tenant, items })),
    ...overrides,
  });
  renderInTestApp(
    <FreshPermissions>
      <EntityProvider entity={acme}>
        <EntityDomainsContent />
      </EntityProvider>
    </FreshPermissions>,
    { apis: [[provisioningApiRef, api], permission] },
  );
  return api;
}

const card = (domain: string) =>
  screen.findByRole('region', { name: `Domain ${domain}` });
const record = (within_: HTMLElement, kind: string) =>
  within(within_)
    .getAllByTestId('domain-record')
    .find(r => r.getAttribute('data-kind') === kind)!;

describe('the Domains tab', () => {
  it('shows each record expected vs found: ok, missing, different with the value found', async () => {
    const api = renderTab([aDomain(), broken]);
    const ok = await card('acme.example');
    expect(api.listDomains).toHaveBeenCalledWith('acme');

    expect(ok).toHaveAttribute('data-verified', 'true');
    expect(within(ok).getByTestId('domain-verified')).toHaveTextContent(
      /^verified$/,
    );
    expect(within(ok).getByTestId('domain-verified-at')).toHaveTextContent(
      /^24 h/,
    );
    expect(within(ok).getByTestId('domain-last-checked')).toHaveTextContent(
      /^1 min( \d+ s)? ago$/,
    );
    expect(within(ok).getByTestId('domain-next-check')).toHaveTextContent(
      /^in (59 min|1 h)/,
    );
    expect(within(ok).getAllByTestId('domain-record')).toHaveLength(5);
    for (const row of within(ok).getAllByTestId('domain-record')) {
      expect(within(row).getByTestId('record-status')).toHaveTextContent('ok');
    }

    const bad = await card('acme.test');
    expect(bad).toHaveAttribute('data-verified', 'false');
    expect(within(bad).getByTestId('domain-verified')).toHaveTextContent(
      'not verified',
    );
    expect(within(bad).getByTestId('domain-verified-at')).toHaveTextContent(
      'never',
    );
    expect(bad).toHaveTextContent('2 of 5 records not as expected');

    const spf = record(bad, 'spf');
    expect(spf).toHaveAttribute('data-status', 'missing');
    expect(within(spf).getByTestId('record-status')).toHaveTextContent(
      'missing',
    );
    expect(spf).toHaveTextContent('nothing found');
    expect(within(spf).getByTestId('record-publish')).toHaveTextContent(
      'acme.test. IN TXT "v=spf1 mx -all"',
    );

    const dmarc = record(bad, 'dmarc');
    expect(dmarc).toHaveAttribute('data-status', 'different');
    expect(within(dmarc).getByTestId('record-found')).toHaveTextContent(
      'v=DMARC1; p=reject',
    );
    expect(within(dmarc).getByTestId('record-message')).toHaveTextContent(
      'p=reject found, p=none expected',
    );
    expect(within(dmarc).getByTestId('record-publish')).toHaveTextContent(
      '_dmarc.acme.test. IN TXT "v=DMARC1; p=none"',
    );
    expect(record(bad, 'mx')).toHaveAttribute('data-status', 'ok');
  });

  it('copies the exact record to publish, one button per record', async () => {
    const writeText = jest.fn(async (_text: string) => undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    renderTab([broken]);
    const bad = await card('acme.test');
    expect(
      within(bad).getAllByRole('button', { name: /^Copy the / }),
    ).toHaveLength(5);
    fireEvent.click(
      within(bad).getByRole('button', {
        name: 'Copy the DMARC record of _dmarc.acme.test',
      }),
    );
    expect(writeText).toHaveBeenCalledWith(
      '_dmarc.acme.test. IN TXT "v=DMARC1; p=none"',
    );
    fireEvent.click(
      within(bad).getByRole('button', {
        name: 'Copy the Ownership record of _dezky.acme.test',
      }),
    );
    expect(writeText).toHaveBeenLastCalledWith(
      '_dezky.acme.test. IN TXT "dezky-verification=0123456789abcdef"',
    );
  });

  it('rechecks a domain, spinning meanwhile, and shows the new result', async () => {
    const answer = deferred<TenantDomain>();
    const api = renderTab([broken], {
      recheckDomain: jest.fn(() => answer.promise),
    });
    const bad = await card('acme.test');
    fireEvent.click(
      within(bad).getByRole('button', { name: 'Recheck acme.test' }),
    );
    expect(api.recheckDomain).toHaveBeenCalledWith('acme', 'acme.test');
    const button = within(bad).getByRole('button', {
      name: 'Recheck acme.test',
    });
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Rechecking…');

    answer.resolve(aDomain({ domain: 'acme.test' }));
    await waitFor(() => expect(bad).toHaveAttribute('data-verified', 'true'));
    expect(within(bad).getByTestId('domain-verified')).toHaveTextContent(
      /^verified$/,
    );
    expect(record(bad, 'spf')).toHaveAttribute('data-status', 'ok');
    expect(button).toBeEnabled();
    expect(button).toHaveTextContent('Recheck');
  });

  it("says why a recheck failed, the server's message", async () => {
    renderTab([broken], {
      recheckDomain: jest.fn(async () => {
        throw await responseError(403, `Not allowed: ${MANAGE}`);
      }),
    });
    const bad = await card('acme.test');
    fireEvent.click(
      within(bad).getByRole('button', { name: 'Recheck acme.test' }),
    );
    expect(await within(bad).findByRole('alert')).toHaveTextContent(
      `Recheck failed: Not allowed: ${MANAGE}`,
    );
    expect(bad).toHaveAttribute('data-verified', 'false');
  });

  it('saves the DMARC policy only after a confirmation', async () => {
    const api = renderTab([aDomain()]);
    const ok = await card('acme.example');
    const save = within(ok).getByRole('button', { name: 'Save DMARC policy' });
    // nothing changed: nothing to save
    expect(save).toBeDisabled();

    fireEvent.mouseDown(within(ok).getByRole('button', { name: /Policy/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'reject' }));
    fireEvent.change(within(ok).getByLabelText('Aggregate reports to (rua)'), {
      target: { value: ' dmarc@acme.example ' },
    });
    fireEvent.click(save);

    const dialog = screen.getByRole('dialog', {
      name: 'Set the DMARC policy of acme.example to reject?',
    });
    expect(dialog).toHaveTextContent(
      'v=DMARC1; p=reject; rua=mailto:dmarc@acme.example',
    );
    expect(api.setDmarc).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(api.setDmarc).toHaveBeenCalledWith('acme', 'acme.example', {
      policy: 'reject',
      rua: 'dmarc@acme.example',
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // the server's answer is what shows: saved, nothing left to save
    await waitFor(() =>
      expect(
        within(ok).getByRole('button', { name: 'Save DMARC policy' }),
      ).toBeDisabled(),
    );
  });

  it('cancels the DMARC confirmation without calling the server, and keeps a refusal in the dialog', async () => {
    const api = renderTab([aDomain()], {
      setDmarc: jest.fn(async () => {
        throw await responseError(
          400,
          'rua: must be an email address (reports go to mailto:<address>)',
          'InputError',
        );
      }),
    });
    const ok = await card('acme.example');
    fireEvent.change(within(ok).getByLabelText('Aggregate reports to (rua)'), {
      target: { value: 'not-an-address' },
    });
    fireEvent.click(
      within(ok).getByRole('button', { name: 'Save DMARC policy' }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.setDmarc).not.toHaveBeenCalled();

    fireEvent.click(
      within(ok).getByRole('button', { name: 'Save DMARC policy' }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByTestId('dmarc-error')).toHaveTextContent(
      'rua: must be an email address',
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('shows no Recheck and no DMARC controls without provisioning.tenant.domains.manage', async () => {
    const api = renderTab(
      [aDomain({ dmarc: { policy: 'quarantine', rua: 'r@acme.example' } })],
      {},
      allowing(),
    );
    const ok = await card('acme.example');
    expect(within(ok).getAllByTestId('domain-record')).toHaveLength(5);
    expect(within(ok).getByTestId('dmarc-setting')).toHaveTextContent(
      'DMARC policy: quarantine, reports to r@acme.example',
    );
    expect(within(ok).queryByRole('button', { name: /Recheck/ })).toBeNull();
    expect(
      within(ok).queryByRole('button', { name: 'Save DMARC policy' }),
    ).toBeNull();
    // copying is for everyone who sees the records
    expect(
      within(ok).getAllByRole('button', { name: /^Copy the / }),
    ).toHaveLength(5);
    expect(api.recheckDomain).not.toHaveBeenCalled();
  });

  it('calls the records of a domain never checked "not checked", not missing, and says so', async () => {
    const fresh = aDomain({
      domain: 'new.test',
      verifiedAt: undefined,
      lastCheckedAt: undefined,
      records: aDomain({ domain: 'new.test' }).records.map(r => ({
        ...r,
        status: 'unchecked' as const,
        found: undefined,
        message: 'not checked yet',
      })),
    });
    renderTab([fresh]);
    const rows = await screen.findAllByTestId('domain-record');
    expect(rows).toHaveLength(fresh.records.length);
    for (const row of rows) {
      expect(row).toHaveAttribute('data-status', 'unchecked');
      expect(within(row).getByTestId('record-status')).toHaveTextContent(
        'not checked',
      );
      expect(within(row).queryByText('nothing found')).toBeNull();
    }
    expect(
      screen.getByText(/^Not checked yet: press Recheck/),
    ).toBeInTheDocument();
  });

  it('explains an empty list', async () => {
    renderTab([]);
    expect(
      await screen.findByText('No mail domains for this tenant yet'),
    ).toBeInTheDocument();
    expect(screen.getByText(/come from spec.domains/)).toBeInTheDocument();
  });

  it('explains an unknown tenant (404) rather than showing an error', async () => {
    renderTab([], {
      listDomains: jest.fn(async () => {
        throw await responseError(404, 'No tenant acme', 'NotFoundError');
      }),
    });
    expect(
      await screen.findByText('No mail domains for this tenant yet'),
    ).toBeInTheDocument();
    expect(screen.getByText(/not yours to see/)).toBeInTheDocument();
  });
});
