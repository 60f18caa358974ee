import { Entity } from '@backstage/catalog-model';
import partnerSchema from '../schema/Partner.v1alpha1.schema.json';
import tenantSchema from '../schema/Tenant.v1alpha1.schema.json';
import integrationSchema from '../schema/Integration.v1alpha1.schema.json';
import {
  isDezkyEntity,
  isIntegrationEntity,
  isPartnerEntity,
  isTenantEntity,
} from './model';
import {
  EntityProblem,
  formatEntityProblems,
  validateDezkyEntity,
} from './validate';

type Kind = 'Partner' | 'Tenant' | 'Integration';

const examples: Record<Kind, Entity> = {
  Partner: partnerSchema.examples[0] as Entity,
  Tenant: tenantSchema.examples[0] as Entity,
  Integration: integrationSchema.examples[0] as Entity,
};

/** A fresh deep copy of the valid example of a kind. */
function valid(kind: Kind): Entity {
  return JSON.parse(JSON.stringify(examples[kind]));
}

/** Sets (or, with `undefined`, deletes) the value at a dotted path like `spec.domains[1]`. */
function mutate(entity: Entity, path: string, value: unknown): Entity {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let target: any = entity;
  for (const part of parts.slice(0, -1)) {
    target = target[part];
    if (target === undefined) {
      throw new Error(`no ${part} in ${path}`);
    }
  }
  const last = parts[parts.length - 1];
  if (value === undefined) {
    if (!(last in target)) {
      throw new Error(`nothing to delete at ${path}`);
    }
    delete target[last];
  } else {
    target[last] = value;
  }
  return entity;
}

const PARTNER_DOMAIN_MESSAGE =
  'must be a lowercase domain name such as nordlicht-it.example';
const TENANT_DOMAIN_MESSAGE =
  'must be a lowercase domain name such as acme.example';
const INTEGRATION_TYPES =
  'identity, mail, files, office, billing, object-storage, database, cache, proxy, dns, chat, video, transactional-mail';

describe('the schema examples', () => {
  it.each(['Partner', 'Tenant', 'Integration'] as Kind[])(
    'the %s example is a %s of dezky.io/v1alpha1 and valid',
    kind => {
      const entity = valid(kind);
      expect(entity.apiVersion).toBe('dezky.io/v1alpha1');
      expect(entity.kind).toBe(kind);
      expect(validateDezkyEntity(entity)).toEqual([]);
    },
  );

  it('does not change the entity it validates', () => {
    const entity = valid('Tenant');
    mutate(entity, 'spec.seats', -1);
    const before = JSON.stringify(entity);
    validateDezkyEntity(entity);
    expect(JSON.stringify(entity)).toBe(before);
  });
});

interface Row {
  name: string;
  kind: Kind;
  path: string;
  /** The new value; `undefined` deletes the field. */
  value: unknown;
  expected: EntityProblem;
}

const rows: Row[] = [
  // numbers
  {
    name: 'partner marginPct 140',
    kind: 'Partner',
    path: 'spec.marginPct',
    value: 140,
    expected: { field: 'spec.marginPct', message: 'must be <= 100 (got 140)' },
  },
  {
    name: 'partner marginPct -1',
    kind: 'Partner',
    path: 'spec.marginPct',
    value: -1,
    expected: { field: 'spec.marginPct', message: 'must be >= 0 (got -1)' },
  },
  {
    name: 'partner marginPct as a string',
    kind: 'Partner',
    path: 'spec.marginPct',
    value: '20',
    expected: {
      field: 'spec.marginPct',
      message: 'must be a number (got "20")',
    },
  },
  {
    name: 'tenant seats -1',
    kind: 'Tenant',
    path: 'spec.seats',
    value: -1,
    expected: { field: 'spec.seats', message: 'must be >= 0 (got -1)' },
  },
  {
    name: 'tenant seats 2.5',
    kind: 'Tenant',
    path: 'spec.seats',
    value: 2.5,
    expected: {
      field: 'spec.seats',
      message: 'must be a whole number (got 2.5)',
    },
  },
  {
    name: 'tenant seats "ten"',
    kind: 'Tenant',
    path: 'spec.seats',
    value: 'ten',
    expected: {
      field: 'spec.seats',
      message: 'must be a whole number (got "ten")',
    },
  },

  // required fields
  {
    name: 'tenant without spec.plan',
    kind: 'Tenant',
    path: 'spec.plan',
    value: undefined,
    expected: { field: 'spec.plan', message: 'is required' },
  },
  {
    name: 'partner without spec.owner',
    kind: 'Partner',
    path: 'spec.owner',
    value: undefined,
    expected: { field: 'spec.owner', message: 'is required' },
  },
  {
    name: 'tenant without spec.owner',
    kind: 'Tenant',
    path: 'spec.owner',
    value: undefined,
    expected: { field: 'spec.owner', message: 'is required' },
  },
  {
    name: 'integration without spec.owner',
    kind: 'Integration',
    path: 'spec.owner',
    value: undefined,
    expected: { field: 'spec.owner', message: 'is required' },
  },
  {
    name: 'partner without spec.contact.email',
    kind: 'Partner',
    path: 'spec.contact.email',
    value: undefined,
    expected: { field: 'spec.contact.email', message: 'is required' },
  },
  {
    name: 'partner without metadata.name',
    kind: 'Partner',
    path: 'metadata.name',
    value: undefined,
    expected: { field: 'metadata.name', message: 'is required' },
  },

  // enums
  {
    name: 'unknown partner status',
    kind: 'Partner',
    path: 'spec.status',
    value: 'frozen',
    expected: {
      field: 'spec.status',
      message: 'must be one of active, paused, terminated (got "frozen")',
    },
  },
  {
    name: 'unknown tenant status',
    kind: 'Tenant',
    path: 'spec.status',
    value: 'deleted',
    expected: {
      field: 'spec.status',
      message: 'must be one of active, suspended, cancelled (got "deleted")',
    },
  },
  {
    name: 'unknown integration lifecycle',
    kind: 'Integration',
    path: 'spec.lifecycle',
    value: 'retired',
    expected: {
      field: 'spec.lifecycle',
      message: 'must be one of production, planned (got "retired")',
    },
  },
  {
    name: 'unknown integration type',
    kind: 'Integration',
    path: 'spec.type',
    value: 'fax',
    expected: {
      field: 'spec.type',
      message: `must be one of ${INTEGRATION_TYPES} (got "fax")`,
    },
  },
  {
    name: 'unknown partner billing currency',
    kind: 'Partner',
    path: 'spec.billing.currency',
    value: 'USD',
    expected: {
      field: 'spec.billing.currency',
      message:
        'must be one of EUR, CHF, GBP, SEK, DKK, NOK, PLN, CZK (got "USD")',
    },
  },

  // partner spec.domain
  {
    name: 'partner domain with uppercase',
    kind: 'Partner',
    path: 'spec.domain',
    value: 'Nordlicht-IT.example',
    expected: {
      field: 'spec.domain',
      message: `${PARTNER_DOMAIN_MESSAGE} (got "Nordlicht-IT.example")`,
    },
  },
  {
    name: 'partner domain with a double dot',
    kind: 'Partner',
    path: 'spec.domain',
    value: 'nordlicht..example',
    expected: {
      field: 'spec.domain',
      message: `${PARTNER_DOMAIN_MESSAGE} (got "nordlicht..example")`,
    },
  },
  {
    name: 'partner domain without TLD',
    kind: 'Partner',
    path: 'spec.domain',
    value: 'nordlicht',
    expected: {
      field: 'spec.domain',
      message: `${PARTNER_DOMAIN_MESSAGE} (got "nordlicht")`,
    },
  },
  {
    name: 'partner domain with a trailing dot',
    kind: 'Partner',
    path: 'spec.domain',
    value: 'nordlicht-it.example.',
    expected: {
      field: 'spec.domain',
      message: `${PARTNER_DOMAIN_MESSAGE} (got "nordlicht-it.example.")`,
    },
  },

  // tenant spec.domains[1] (the example has one domain; [1] adds a second)
  {
    name: 'tenant second domain with uppercase',
    kind: 'Tenant',
    path: 'spec.domains[1]',
    value: 'ACME-Mail.example',
    expected: {
      field: 'spec.domains[1]',
      message: `${TENANT_DOMAIN_MESSAGE} (got "ACME-Mail.example")`,
    },
  },
  {
    name: 'tenant second domain with a double dot',
    kind: 'Tenant',
    path: 'spec.domains[1]',
    value: 'acme..example',
    expected: {
      field: 'spec.domains[1]',
      message: `${TENANT_DOMAIN_MESSAGE} (got "acme..example")`,
    },
  },
  {
    name: 'tenant second domain without TLD',
    kind: 'Tenant',
    path: 'spec.domains[1]',
    value: 'acme-mail',
    expected: {
      field: 'spec.domains[1]',
      message: `${TENANT_DOMAIN_MESSAGE} (got "acme-mail")`,
    },
  },
  {
    name: 'tenant second domain with a trailing dot',
    kind: 'Tenant',
    path: 'spec.domains[1]',
    value: 'acme-mail.example.',
    expected: {
      field: 'spec.domains[1]',
      message: `${TENANT_DOMAIN_MESSAGE} (got "acme-mail.example.")`,
    },
  },
  {
    name: 'tenant duplicate domains',
    kind: 'Tenant',
    path: 'spec.domains',
    value: ['acme.example', 'acme.example'],
    expected: {
      field: 'spec.domains',
      message: 'must not list the same value twice',
    },
  },
  {
    name: 'tenant empty domains',
    kind: 'Tenant',
    path: 'spec.domains',
    value: [],
    expected: { field: 'spec.domains', message: 'must list at least 1' },
  },
  {
    name: 'tenant duplicate integrations',
    kind: 'Tenant',
    path: 'spec.integrations',
    value: ['ocis', 'ocis'],
    expected: {
      field: 'spec.integrations',
      message: 'must not list the same value twice',
    },
  },

  // unknown fields
  {
    name: 'partner unknown spec field',
    kind: 'Partner',
    path: 'spec.discountPct',
    value: 5,
    expected: { field: 'spec.discountPct', message: 'is not a known field' },
  },
  {
    name: 'tenant unknown spec field',
    kind: 'Tenant',
    path: 'spec.seat',
    value: 25,
    expected: { field: 'spec.seat', message: 'is not a known field' },
  },
  {
    name: 'integration unknown spec field',
    kind: 'Integration',
    path: 'spec.url',
    value: 'http://x',
    expected: { field: 'spec.url', message: 'is not a known field' },
  },
  {
    name: 'integration unknown probe field',
    kind: 'Integration',
    path: 'spec.probe.retries',
    value: 3,
    expected: { field: 'spec.probe.retries', message: 'is not a known field' },
  },

  // formats
  {
    name: 'partner contact bad email',
    kind: 'Partner',
    path: 'spec.contact.email',
    value: 'jana-at-nordlicht.example',
    expected: {
      field: 'spec.contact.email',
      message: 'must be an email address (got "jana-at-nordlicht.example")',
    },
  },
  {
    name: 'partner billing bad email',
    kind: 'Partner',
    path: 'spec.billing.email',
    value: 'billing@nordlicht',
    expected: {
      field: 'spec.billing.email',
      message: 'must be an email address (got "billing@nordlicht")',
    },
  },
  {
    name: 'partner bad country code (name)',
    kind: 'Partner',
    path: 'spec.billing.country',
    value: 'Germany',
    expected: {
      field: 'spec.billing.country',
      message:
        'must be an ISO 3166 two-letter country code such as DE (got "Germany")',
    },
  },
  {
    name: 'partner bad country code (lowercase)',
    kind: 'Partner',
    path: 'spec.billing.country',
    value: 'de',
    expected: {
      field: 'spec.billing.country',
      message:
        'must be an ISO 3166 two-letter country code such as DE (got "de")',
    },
  },
  {
    name: 'tenant bad plan key',
    kind: 'Tenant',
    path: 'spec.plan',
    value: 'Business',
    expected: {
      field: 'spec.plan',
      message:
        'must be a plan key such as starter, business or enterprise (got "Business")',
    },
  },
  {
    name: 'integration endpoint that is not a URL',
    kind: 'Integration',
    path: 'spec.endpoint',
    value: 'stalwart:8080',
    expected: {
      field: 'spec.endpoint',
      message:
        'must be a URL such as http://stalwart:8080 (got "stalwart:8080")',
    },
  },
  {
    name: 'bad metadata.name',
    kind: 'Tenant',
    path: 'metadata.name',
    value: 'acme gmbh',
    expected: {
      field: 'metadata.name',
      message:
        'must be 1-63 characters of letters, digits and single separators (-, _, .) (got "acme gmbh")',
    },
  },
];

describe('validateDezkyEntity on one mutation of a valid entity', () => {
  it.each(rows)('$name', ({ kind, path, value, expected }) => {
    const entity = mutate(valid(kind), path, value);
    expect(validateDezkyEntity(entity)).toEqual([expected]);
  });

  // Every scalar bad value is quoted, except where the field name itself is
  // the mistake (an unknown field): then the field says it.
  it.each(
    rows.filter(
      r =>
        (typeof r.value === 'string' || typeof r.value === 'number') &&
        r.expected.message !== 'is not a known field',
    ),
  )('$name: the message quotes the bad value', ({ kind, path, value }) => {
    const [problem] = validateDezkyEntity(mutate(valid(kind), path, value));
    expect(problem.message).toContain(`(got ${JSON.stringify(value)})`);
  });

  it('the valid values next to each limit pass', () => {
    for (const [kind, path, value] of [
      ['Partner', 'spec.marginPct', 0],
      ['Partner', 'spec.marginPct', 100],
      ['Partner', 'spec.marginPct', 12.5],
      ['Tenant', 'spec.seats', 0],
      ['Tenant', 'spec.domains[1]', 'mail.acme-gmbh.example'],
      ['Tenant', 'spec.status', 'cancelled'],
      ['Partner', 'spec.status', 'terminated'],
      ['Integration', 'spec.lifecycle', 'planned'],
      ['Integration', 'spec.endpoint', 'postgresql://postgres:5432'],
    ] as [Kind, string, unknown][]) {
      expect({
        kind,
        path,
        value,
        problems: validateDezkyEntity(mutate(valid(kind), path, value)),
      }).toEqual({
        kind,
        path,
        value,
        problems: [],
      });
    }
  });

  it('reports every problem of an entity, each once', () => {
    const entity = valid('Tenant');
    mutate(entity, 'spec.seats', -1);
    mutate(entity, 'spec.plan', undefined);
    mutate(entity, 'spec.domains', ['acme.example', 'Bad..Domain']);
    const problems = validateDezkyEntity(entity);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'spec.plan', message: 'is required' },
        { field: 'spec.seats', message: 'must be >= 0 (got -1)' },
        {
          field: 'spec.domains[1]',
          message: `${TENANT_DOMAIN_MESSAGE} (got "Bad..Domain")`,
        },
      ]),
    );
  });

  it('reports a missing spec', () => {
    const entity = mutate(valid('Integration'), 'spec', undefined);
    expect(validateDezkyEntity(entity)).toEqual([
      { field: 'spec', message: 'is required' },
    ]);
  });

  it('formats problems naming the entity', () => {
    const entity = mutate(valid('Partner'), 'spec.marginPct', 140);
    expect(formatEntityProblems(entity, validateDezkyEntity(entity))).toBe(
      'Partner/nordlicht-it: spec.marginPct: must be <= 100 (got 140)',
    );
  });
});

describe('Integration spec.probe', () => {
  const withProbe = (probe: unknown) =>
    validateDezkyEntity(mutate(valid('Integration'), 'spec.probe', probe));

  it.each([
    ['tcp', { type: 'tcp', target: 'stalwart:8080' }],
    [
      'http with every field',
      {
        type: 'http',
        target: 'https://ocis:9200',
        method: 'HEAD',
        path: '/status.php',
        expectStatus: 200,
        bodyMatch: '"installed":true',
        timeoutMs: 1500,
        warnMs: 300,
        badMs: 1000,
      },
    ],
    ['postgres without a target', { type: 'postgres' }],
    ['postgres with thresholds', { type: 'postgres', warnMs: 50, badMs: 200 }],
  ])('accepts %s', (_name, probe) => {
    expect(withProbe(probe)).toEqual([]);
  });

  it.each([
    [
      'tcp without a target',
      { type: 'tcp' },
      [{ field: 'spec.probe.target', message: 'is required' }],
    ],
    [
      'http without a target',
      { type: 'http', path: '/x' },
      [{ field: 'spec.probe.target', message: 'is required' }],
    ],
    [
      'a postgres target',
      { type: 'postgres', target: 'db:5432' },
      [
        {
          field: 'spec.probe.target',
          message:
            "is not used by postgres probes (they ping the portal's own database)",
        },
      ],
    ],
    [
      'http fields on a tcp probe',
      { type: 'tcp', target: 'x:1', method: 'GET', bodyMatch: 'ok' },
      [
        { field: 'spec.probe.method', message: 'is only for http probes' },
        { field: 'spec.probe.bodyMatch', message: 'is only for http probes' },
      ],
    ],
    [
      'an unknown method',
      { type: 'http', target: 'http://x', method: 'DELETE' },
      [
        {
          field: 'spec.probe.method',
          message: 'must be one of GET, HEAD, POST, OPTIONS (got "DELETE")',
        },
      ],
    ],
    [
      'a relative path',
      { type: 'http', target: 'http://x', path: 'healthz' },
      [
        {
          field: 'spec.probe.path',
          message:
            'must be a path starting with / such as /healthz (got "healthz")',
        },
      ],
    ],
    [
      'a zero threshold',
      { type: 'http', target: 'http://x', warnMs: 0 },
      [{ field: 'spec.probe.warnMs', message: 'must be >= 1 (got 0)' }],
    ],
    [
      'an unknown type',
      { type: 'icmp', target: 'x' },
      [
        {
          field: 'spec.probe.type',
          message: 'must be one of tcp, http, postgres (got "icmp")',
        },
      ],
    ],
    [
      'no type',
      { target: 'x:1' },
      [{ field: 'spec.probe.type', message: 'is required' }],
    ],
  ])('rejects %s', (_name, probe, expected) => {
    expect(withProbe(probe)).toEqual(expected);
  });
});

describe('validateDezkyEntity on entities that are not Dezky kinds', () => {
  const invalidSpec = { owner: 42, seats: 'many', unknown: true };

  it.each([
    ['a Backstage Component', 'backstage.io/v1alpha1', 'Component'],
    ['a Partner of another apiVersion', 'backstage.io/v1alpha1', 'Partner'],
    ['a Tenant of a later Dezky apiVersion', 'dezky.io/v1beta1', 'Tenant'],
    [
      'an unknown kind of the Dezky apiVersion',
      'dezky.io/v1alpha1',
      'Reseller',
    ],
  ])('returns [] for %s, however wrong its spec', (_name, apiVersion, kind) => {
    const entity: Entity = {
      apiVersion,
      kind,
      metadata: { name: 'x' },
      spec: invalidSpec,
    };
    expect(validateDezkyEntity(entity)).toEqual([]);
  });
});

describe('the kind guards', () => {
  const guards = {
    Partner: isPartnerEntity,
    Tenant: isTenantEntity,
    Integration: isIntegrationEntity,
  };

  it.each(['Partner', 'Tenant', 'Integration'] as Kind[])(
    '%s: only its own guard says yes',
    kind => {
      const entity = valid(kind);
      for (const [guardKind, guard] of Object.entries(guards)) {
        expect({ guardKind, result: guard(entity) }).toEqual({
          guardKind,
          result: guardKind === kind,
        });
      }
      expect(isDezkyEntity(entity)).toBe(true);
    },
  );

  it.each([
    ['undefined', undefined],
    [
      'a Backstage Group',
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: { name: 'g' },
        spec: {},
      },
    ],
    [
      'a Tenant of another apiVersion',
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: 't' },
      },
    ],
    [
      'an unknown Dezky kind',
      {
        apiVersion: 'dezky.io/v1alpha1',
        kind: 'Reseller',
        metadata: { name: 'r' },
      },
    ],
  ] as [string, Entity | undefined][])(
    'no guard accepts %s',
    (_name, entity) => {
      expect(isPartnerEntity(entity)).toBe(false);
      expect(isTenantEntity(entity)).toBe(false);
      expect(isIntegrationEntity(entity)).toBe(false);
      expect(isDezkyEntity(entity)).toBe(false);
    },
  );
});

describe('a direct tenant’s billing details', () => {
  const direct = (billing: unknown) => {
    const entity = valid('Tenant');
    delete (entity.spec as { partner?: string }).partner;
    (entity.spec as Record<string, unknown>).billing = billing;
    return entity;
  };
  const details = {
    company: 'Klinikum Kiel-Nord gGmbH',
    vatId: 'DE811234567',
    country: 'DE',
    email: 'rechnung@kiel-klinik.example',
    currency: 'EUR',
  };

  it('takes the same five fields as a partner’s', () => {
    expect(validateDezkyEntity(direct(details))).toEqual([]);
    const { vatId, ...withoutVat } = details;
    expect(validateDezkyEntity(direct(withoutVat))).toEqual([]);
    // optional: a tenant without it is valid (billing reports it missing)
    const none = valid('Tenant');
    delete (none.spec as { partner?: string }).partner;
    expect(validateDezkyEntity(none)).toEqual([]);
  });

  it.each([
    [{ ...details, currency: 'USD' }, 'spec.billing.currency'],
    [{ ...details, email: 'rechnung' }, 'spec.billing.email'],
    [{ ...details, country: 'Deutschland' }, 'spec.billing.country'],
    [{ ...details, iban: 'DE00' }, 'spec.billing.iban'],
  ])('names the bad field of %j', (billing, field) => {
    const problems = validateDezkyEntity(direct(billing));
    expect(problems.map(p => p.field)).toEqual([field]);
  });

  it('names each missing required field', () => {
    const problems = validateDezkyEntity(direct({ company: 'X' }));
    expect(problems.map(p => p.field).sort()).toEqual([
      'spec.billing.country',
      'spec.billing.currency',
      'spec.billing.email',
    ]);
  });
});
