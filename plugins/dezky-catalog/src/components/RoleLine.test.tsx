import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  PartnerEntityV1alpha1,
  PLATFORM_ADMINS_GROUP_REF,
} from '@internal/plugin-dezky-catalog-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { RoleLine } from './RoleLine';

const nordlicht = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: {
    name: 'nordlicht-it',
    namespace: 'default',
    title: 'Nordlicht IT',
  },
  spec: { owner: 'group:default/partner-nordlicht-it' },
} as unknown as PartnerEntityV1alpha1;

const user = (groups: string[]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'jana', namespace: 'default' },
  spec: {},
  relations: groups.map(targetRef => ({ type: 'memberOf', targetRef })),
});

function render(options: {
  allowed: boolean;
  tokenGroups: string[];
  catalogGroups: string[];
}) {
  return renderInTestApp(
    <FreshPermissions>
      <RoleLine partners={[nordlicht]} />
    </FreshPermissions>,
    {
      apis: [
        mockApis.identity({
          userEntityRef: 'user:default/jana',
          ownershipEntityRefs: ['user:default/jana', ...options.tokenGroups],
        }),
        mockApis.permission({
          authorize: options.allowed
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
        }),
        catalogApiMock({ entities: [user(options.catalogGroups)] }),
      ],
    },
  );
}

describe('RoleLine', () => {
  it('says operator only when the server allows it, whatever the sign-in groups', async () => {
    render({
      allowed: false,
      tokenGroups: [PLATFORM_ADMINS_GROUP_REF],
      catalogGroups: [],
    });
    expect(await screen.findByTestId('dezky-role')).toHaveTextContent(
      'You see only your own user',
    );
  });

  it('says operator when the server allows it', async () => {
    render({ allowed: true, tokenGroups: [], catalogGroups: [] });
    expect(await screen.findByTestId('dezky-role')).toHaveTextContent(
      'Operator: you see and run every partner and tenant.',
    );
  });

  it('names the partners from the catalog’s current membership, not the sign-in token', async () => {
    render({
      allowed: false,
      tokenGroups: [],
      catalogGroups: ['group:default/partner-nordlicht-it'],
    });
    expect(await screen.findByTestId('dezky-role')).toHaveTextContent(
      'Partner staff of Nordlicht IT: you see this partner and its tenants only.',
    );
  });
});
