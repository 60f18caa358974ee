import { TenantDirectory, TenantInfo } from '../../services/TenantDirectory';

/** A tenant sold by a partner. */
export const acme: TenantInfo = {
  tenantRef: 'tenant:default/acme',
  partnerRef: 'partner:default/nordlicht-it',
  name: 'acme',
  domains: ['acme.example'],
};

/** A tenant sold directly (no partner). */
export const globex: TenantInfo = {
  tenantRef: 'tenant:default/globex',
  name: 'globex',
  domains: ['globex.example'],
};

/** The catalog's tenants, as the ingests look them up. */
export const tenants: TenantDirectory = {
  byRef: async ref => [acme, globex].find(t => t.tenantRef === ref),
  byName: async name =>
    [acme, globex].find(t => t.name === name.toLocaleLowerCase('en-US')),
  byDomain: async domain =>
    [acme, globex].find(t =>
      t.domains.includes(domain.toLocaleLowerCase('en-US')),
    ),
};
