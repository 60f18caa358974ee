import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { auditApiRef } from '../api';
import { auditEvent, fakeAuditApi } from '../testing/fakes';
import { EntityAuditContent } from './EntityAuditContent';

const entity = (kind: string, name: string) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind,
  metadata: { name: name, namespace: 'default' },
  spec: {},
});

describe('EntityAuditContent', () => {
  it.each([
    ['tenant', 'Tenant', 'ACME', { tenant: 'tenant:default/acme' }],
    [
      'partner',
      'Partner',
      'Nordlicht-IT',
      { partner: 'partner:default/nordlicht-it' },
    ],
  ] as const)(
    "fixes the events to the %s's own ref",
    async (field, kind, name, query) => {
      const api = fakeAuditApi({
        getEvents: jest.fn(async () => ({
          items: [auditEvent({ action: `${field}.updated` })],
        })),
      });
      renderInTestApp(
        <EntityProvider entity={entity(kind, name)}>
          <EntityAuditContent field={field} />
        </EntityProvider>,
        {
          apis: [[auditApiRef, api]],
          mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
        },
      );
      expect(await screen.findByText(`${field}.updated`)).toBeInTheDocument();
      expect(api.getEvents).toHaveBeenCalledWith(query);
    },
  );
});
