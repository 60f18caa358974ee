import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogPartnerTerms } from './partnerTerms';

const partner = (name: string, spec: Entity['spec']): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec,
});

describe('catalogPartnerTerms', () => {
  it("reads each Partner's margin as a decimal string, its status and contract end; an invalid margin or end date is left out", async () => {
    const read = catalogPartnerTerms({
      catalog: catalogServiceMock({
        entities: [
          partner('Nord', { marginPct: 12.5, status: 'active' }),
          partner('sued', {
            marginPct: 20,
            status: 'terminated',
            contract: { endDate: '2026-10-15' },
          }),
          partner('west', {
            marginPct: '20',
            status: 'paused',
            contract: { endDate: 'soon' },
          }),
          partner('ost', { marginPct: 120 }),
          {
            apiVersion: 'dezky.io/v1alpha1',
            kind: 'Tenant',
            metadata: { name: 'acme', namespace: 'default' },
            spec: { marginPct: 50 },
          },
        ],
      }),
      auth: mockServices.auth(),
    });
    expect(
      (await read()).sort((a, b) => a.partnerRef.localeCompare(b.partnerRef)),
    ).toEqual([
      {
        partnerRef: 'partner:default/nord',
        marginPct: '12.5',
        status: 'active',
      },
      { partnerRef: 'partner:default/ost' },
      {
        partnerRef: 'partner:default/sued',
        marginPct: '20',
        status: 'terminated',
        contractEndDate: '2026-10-15',
      },
      { partnerRef: 'partner:default/west', status: 'paused' },
    ]);
  });
});
