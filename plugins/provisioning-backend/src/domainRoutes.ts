import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { RouterKit, tenantName } from '@internal/plugin-dezky-node';
import {
  DMARC_POLICIES,
  provisioningTenantDomainsManagePermission,
  provisioningTenantReadPermission,
  TenantDomainList,
} from '@internal/plugin-provisioning-common';
import { provisioningTenantResourceRef } from '@internal/plugin-provisioning-node';
import express from 'express';
import { z } from 'zod';
import { DomainService } from './domains/DomainService';
import { ProvisioningService } from './service/ProvisioningService';

export interface DomainRoutesOptions {
  kit: RouterKit;
  service: Pick<ProvisioningService, 'find'>;
  domains: DomainService;
}

/** A domain name as spec.domains holds it (compared in lower case). */
const domainParam = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, 'must be at most 253 characters')
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
    'must be a domain name, e.g. acme.example',
  );

const dmarcBody = z
  .object({
    policy: z.enum(DMARC_POLICIES, {
      error: `must be one of ${DMARC_POLICIES.join(', ')}`,
    }),
    rua: z
      .string({ error: 'must be a string' })
      .trim()
      .max(254, 'must be at most 254 characters')
      .regex(
        /^[^\s@;,!"]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i,
        'must be an email address (reports go to mailto:<address>)',
      )
      .optional(),
  })
  .strict();

/**
 * The domains API (docs/provisioning.md#domains): a tenant's mail domains
 * and their DNS checks. Reads as the provisioning tenant reads (partner
 * staff: their partners' tenants; another partner's tenant answers 404);
 * recheck and DMARC need `provisioning.tenant.domains.manage` on the tenant.
 */
export function addDomainRoutes(
  router: express.Router,
  options: DomainRoutesOptions,
) {
  const { kit, service, domains } = options;

  /** The tenant in the caller's read scope (404 otherwise). */
  const tenantOf = async (req: express.Request) => {
    const scope = await kit.partnerScope(
      req,
      provisioningTenantReadPermission,
      provisioningTenantResourceRef,
    );
    const name = kit.param(req, 'name', tenantName);
    const tenant = await service.find(
      name,
      scope.all ? undefined : scope.criteria,
    );
    if (!tenant) throw new NotFoundError(`No tenant ${name}`);
    return tenant;
  };

  /** The tenant, when the caller may manage its domains (403 otherwise). */
  const managedTenant = async (req: express.Request) => {
    const tenant = await tenantOf(req);
    const manage = await kit.partnerScope(
      req,
      provisioningTenantDomainsManagePermission,
      provisioningTenantResourceRef,
    );
    if (
      !manage.allows({
        tenantRef: tenant.tenantRef,
        ...(tenant.partnerRef ? { partnerRef: tenant.partnerRef } : {}),
      })
    ) {
      throw new NotAllowedError(
        `Not allowed: ${provisioningTenantDomainsManagePermission.name}`,
      );
    }
    const by = {
      credentials: manage.credentials,
      ...(req.ip ? { ip: req.ip } : {}),
    };
    return { tenant, by };
  };

  const notOurs = (tenant: string, domain: string) =>
    new NotFoundError(`${domain} is not a domain of tenant ${tenant}`);

  router.get('/tenants/:name/domains', async (req, res) => {
    const tenant = await tenantOf(req);
    const body: TenantDomainList = {
      tenant: tenant.name,
      items: await domains.list(tenant.tenantRef),
    };
    res.json(body);
  });

  router.post('/tenants/:name/domains/:domain/recheck', async (req, res) => {
    const domain = kit.param(req, 'domain', domainParam);
    const { tenant, by } = await managedTenant(req);
    const result = await domains.recheck(tenant, domain, by);
    if (!result) throw notOurs(tenant.name, domain);
    res.json(result);
  });

  router.put('/tenants/:name/domains/:domain/dmarc', async (req, res) => {
    const domain = kit.param(req, 'domain', domainParam);
    const { tenant, by } = await managedTenant(req);
    const setting = kit.body(req, dmarcBody);
    const result = await domains.setDmarc(
      tenant,
      domain,
      {
        policy: setting.policy,
        ...(setting.rua ? { rua: setting.rua } : {}),
      },
      by,
    );
    if (!result) throw notOurs(tenant.name, domain);
    res.json(result);
  });
}
