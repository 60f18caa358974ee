/*
 * Billing end to end: the real backend (the Dezky policy, provisioning,
 * flags, billing) on the seeded catalog, against the development stand-ins
 * and the local Stripe, on SQLite and PostgreSQL. With the flag
 * new_billing_engine on, activating the seeded tenants gives one Stripe
 * customer each and one subscription per priced tenant with seats; a seats
 * edit in YAML changes the quantity; suspend pauses collection, resume
 * unpauses, terminate cancels; an invoice reaches the tenant's billing by
 * signed webhook; partner staff read only their own partner's billing and
 * change nothing.
 */
import { Entity } from '@backstage/catalog-model';
import { DevPlatform, startDevPlatform } from '@internal/dev-platform';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { pseudoRandom, seededCatalog } from './testing/catalogFiles';
import {
  restartableDatabase,
  startProvisioningPortal,
  writeProvisioningConfig,
} from './testing/provisioningPortal';
import {
  dropPortalDatabases,
  PortalDatabaseConfig,
  portalDatabases,
  PortalServers,
} from './testing/servers';

jest.setTimeout(600_000);

const { partners, tenants, operators, email, staffOf } = seededCatalog();
const catalogDir = path.resolve(__dirname, '../../../catalog');

const specOf = (t: Entity) =>
  t.spec as {
    partner?: string;
    status?: string;
    plan: string;
    seats: number;
    billing?: { currency?: string };
  };
const partnerOf = (t: Entity) =>
  specOf(t).partner?.replace(/^partner:(default\/)?/, '');

interface StripeSub {
  id: string;
  customer: string;
  status: string;
  metadata: Record<string, string>;
  collection_method: string;
  pause_collection: { behavior: string } | null;
  items: {
    data: Array<{
      quantity: number;
      price: { id: string; unit_amount: number; currency: string };
    }>;
  };
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe.each(portalDatabases())(
  'billing end to end on $name',
  ({ database: engine }) => {
    let platform: DevPlatform;
    let portal: PortalServers | undefined;
    let dir: string;
    let database: PortalDatabaseConfig;
    const partner = partners.find(
      p =>
        staffOf(p).length > 0 &&
        tenants.filter(t => partnerOf(t) === p.metadata.name).length >= 2,
    )!;
    const staffUser = staffOf(partner)[0];
    const auth: Record<'operator' | 'staff', string> = {
      operator: '',
      staff: '',
    };
    // billing hears of the tenants active in git (activated once provisioned)
    const activated = tenants.filter(t => !specOf(t).status);

    const api = async (
      who: keyof typeof auth,
      method: string,
      url: string,
      body?: unknown,
    ): Promise<{ status: number; body: any }> => {
      const res = await fetch(`${portal!.backendUrl}/api${url}`, {
        method,
        headers: {
          authorization: auth[who],
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };

    const stripe = () => platform.state().stripe;
    const subsOf = (name: string) =>
      (stripe().subscriptions as StripeSub[]).filter(
        s => s.metadata.tenant === `tenant:default/${name}`,
      );
    /** Polls until `check` returns a value (not undefined). */
    const until = async <T>(
      what: string,
      check: () => Promise<T | undefined> | T | undefined,
      timeoutMs = 120_000,
    ): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) {
          throw new Error(
            `${what}: not reached in ${timeoutMs} ms; the backend's last output:\n${portal!.backendLog
              .slice(-30)
              .join('')}`,
          );
        }
        await sleep(300);
      }
    };

    beforeAll(async () => {
      platform = await startDevPlatform({
        dkimDelayMs: 100,
        stripeFrozenClock: true,
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-billing-'));
      fs.cpSync(catalogDir, path.join(dir, 'catalog'), { recursive: true });
      const configFile = writeProvisioningConfig(dir, platform, {
        provisioning: { lifecycle: { gracePeriod: { seconds: 10 } } },
        billing: {
          stripe: {
            enabled: true,
            secretKey: 'sk_test_dev_platform',
            webhookSecret: 'whsec_dev_platform',
            apiUrl: platform.urls.stripe,
          },
        },
      });
      database = restartableDatabase(engine, dir);
      const started = await startProvisioningPortal(configFile, database, [
        email(operators[0]),
        email(staffUser),
      ]);
      portal = started.portal;
      auth.operator = started.auth.get(email(operators[0]))!;
      auth.staff = started.auth.get(email(staffUser))!;
      platform.stripe.setWebhook({
        url: `${portal.backendUrl}/api/billing/stripe/webhook`,
      });
    });

    afterAll(async () => {
      try {
        await portal?.stop();
      } finally {
        await platform?.stop();
        await dropPortalDatabases(database);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('with the flag on, the seeded tenants get one Stripe customer each and one subscription per priced tenant with seats, at the right price and quantity', async () => {
      const status = await api('operator', 'GET', '/billing/status');
      expect(status.body).toMatchObject({
        stripe: { connected: true, livemode: false },
        flag: 'new_billing_engine',
      });
      const flag = await api(
        'operator',
        'PATCH',
        '/flags/flags/new_billing_engine',
        { state: 'on' },
      );
      expect(flag.status).toBe(200);

      const prices = await api('operator', 'GET', '/billing/prices');
      const perSeat = new Map<string, number>(
        prices.body.items
          .filter((p: any) => p.cycle === 'monthly')
          .map((p: any) => [`${p.plan}/${p.currency}`, p.perSeatAmount]),
      );
      const currencyOf = (t: Entity) => {
        const owner = partnerOf(t)
          ? partners.find(p => p.metadata.name === partnerOf(t))
          : t;
        return specOf(owner!).billing?.currency;
      };
      // priced: a price for its plan in its currency, seats ≥ 1, and (sold
      // directly) billing details of its own
      const priced = activated.filter(t => {
        const currency = currencyOf(t);
        return (
          currency !== undefined &&
          perSeat.has(`${specOf(t).plan}/${currency}`) &&
          specOf(t).seats >= 1
        );
      });
      expect(priced.length).toBeGreaterThan(3);
      expect(priced.length).toBeLessThan(activated.length); // werkbank-coop has no details

      // every activated tenant announced to billing, then one reconcile
      // (tenants activated before the flag was on are caught up by it)
      await until('every activated tenant billed', async () => {
        const res = await api('operator', 'GET', '/billing/tenants?limit=200');
        return res.body.items.filter((i: any) => i.status).length ===
          priced.length
          ? true
          : undefined;
      });
      const reconciled = await api('operator', 'POST', '/billing/reconcile');
      expect(reconciled.status).toBe(200);
      expect(reconciled.body.outOfSync).toBe(0);
      await api('operator', 'POST', '/billing/reconcile'); // twice: nothing new

      const customers = stripe().customers as Array<{
        metadata: Record<string, string>;
      }>;
      expect(customers.map(c => c.metadata.tenant).sort()).toEqual(
        activated.map(t => `tenant:default/${t.metadata.name}`).sort(),
      );
      const subs = stripe().subscriptions as StripeSub[];
      expect(subs.map(s => s.metadata.tenant).sort()).toEqual(
        priced.map(t => `tenant:default/${t.metadata.name}`).sort(),
      );
      for (const t of priced) {
        const [sub] = subsOf(t.metadata.name);
        expect([
          t.metadata.name,
          sub.collection_method,
          sub.items.data[0].quantity,
          sub.items.data[0].price.unit_amount,
        ]).toEqual([
          t.metadata.name,
          'send_invoice',
          specOf(t).seats,
          perSeat.get(`${specOf(t).plan}/${currencyOf(t)}`),
        ]);
      }
      const billing = await api(
        'operator',
        'GET',
        `/billing/tenants/${priced[0].metadata.name}`,
      );
      expect(billing.body.condition).toMatchObject({
        kind: 'in-sync',
        message: 'in sync with Stripe',
      });
      expect(billing.body.stripe.subscriptionId).toBe(
        subsOf(priced[0].metadata.name)[0].id,
      );
    });

    it('a seats edit in YAML changes the quantity; suspend pauses collection, resume unpauses, terminate cancels', async () => {
      const [edited, suspended, terminated] = activated.filter(
        t => subsOf(t.metadata.name).length === 1,
      );
      const file = path.join(
        dir,
        'catalog/tenants',
        `${edited.metadata.name}.yaml`,
      );
      const seats = specOf(edited).seats + 3;
      fs.writeFileSync(
        file,
        fs.readFileSync(file, 'utf8').replace(/seats: \d+/, `seats: ${seats}`),
      );
      await until('the new quantity in Stripe', () =>
        subsOf(edited.metadata.name)[0].items.data[0].quantity === seats
          ? true
          : undefined,
      );

      const name = suspended.metadata.name;
      expect(
        (
          await api(
            'operator',
            'POST',
            `/provisioning/tenants/${name}/suspend`,
            {
              reason: 'unpaid invoices',
            },
          )
        ).status,
      ).toBe(200);
      await until('collection paused', () =>
        subsOf(name)[0].pause_collection?.behavior === 'void'
          ? true
          : undefined,
      );
      expect(subsOf(name)[0].status).toBe('active');
      const paused = await api('operator', 'GET', `/billing/tenants/${name}`);
      expect(paused.body).toMatchObject({
        status: 'paused',
        mrr: 0,
        stripe: { collectionPaused: true },
      });
      expect(paused.body.pausedMrr).toBeGreaterThan(0);

      expect(
        (
          await api(
            'operator',
            'POST',
            `/provisioning/tenants/${name}/resume`,
            {
              reason: 'paid',
            },
          )
        ).status,
      ).toBe(200);
      await until('collection resumed', () =>
        subsOf(name)[0].pause_collection === null ? true : undefined,
      );

      const gone = terminated.metadata.name;
      expect(
        (
          await api(
            'operator',
            'POST',
            `/provisioning/tenants/${gone}/terminate`,
            { reason: 'contract ended', confirm: gone },
          )
        ).status,
      ).toBe(200);
      await until(
        'the subscription canceled after the grace period',
        () => (subsOf(gone)[0].status === 'canceled' ? true : undefined),
        180_000,
      );
      expect(subsOf(gone)).toHaveLength(1);
      const record = await api('operator', 'GET', `/billing/tenants/${gone}`);
      expect(record.body).toMatchObject({ status: 'canceled', mrr: 0 });
    });

    it('an invoice reaches the tenant by signed webhook: finalized an hour later, then paid', async () => {
      // one whose seats never changed: the first invoice bills them
      const [t] = activated.filter(
        x =>
          subsOf(x.metadata.name)[0]?.status === 'active' &&
          subsOf(x.metadata.name)[0].pause_collection === null &&
          subsOf(x.metadata.name)[0].items.data[0].quantity === specOf(x).seats,
      );
      const name = t.metadata.name;
      platform.stripe.advanceClock(3601);
      await platform.stripe.flushWebhooks();
      const invoice = await until('the finalized invoice', async () => {
        const res = await api(
          'operator',
          'GET',
          `/billing/tenants/${name}/invoices`,
        );
        const open = res.body.items?.find((i: any) => i.status === 'open');
        return open;
      });
      expect(invoice).toMatchObject({
        tenant: name,
        subscriptionId: subsOf(name)[0].id,
        currency: 'EUR',
        number: expect.any(String),
        hostedInvoiceUrl: expect.stringMatching(/^http/),
      });
      expect(Number.isInteger(invoice.total)).toBe(true);
      expect(invoice.total).toBe(
        subsOf(name)[0].items.data[0].quantity *
          subsOf(name)[0].items.data[0].price.unit_amount,
      );
      const paid = await fetch(
        `${platform.urls.control}/stripe/invoices/${invoice.id}/pay`,
        { method: 'POST' },
      );
      expect(paid.status).toBe(200);
      await platform.stripe.flushWebhooks();
      await until('the invoice paid', async () => {
        const res = await api(
          'operator',
          'GET',
          `/billing/tenants/${name}/invoices`,
        );
        return res.body.items.find(
          (i: any) => i.id === invoice.id && i.status === 'paid',
        );
      });
      const events = await api(
        'operator',
        'GET',
        '/billing/stripe/events?limit=200',
      );
      expect(events.body.items.map((e: any) => e.type)).toEqual(
        expect.arrayContaining(['invoice.finalized', 'invoice.paid']),
      );
    });

    it("reports on the real backend: growth counts the seeded activations; partner staff get their partner's rows only (JSON and CSV), save reports for their partner, and not the leaderboard", async () => {
      const ownName = partner.metadata.name;
      // billing has heard of every activated tenant, then today's snapshot
      await until('billing records of the activated tenants', async () => {
        const res = await api('operator', 'GET', '/billing/tenants?limit=200');
        return res.body.total >= activated.length ? true : undefined;
      });
      const snap = await api('operator', 'POST', '/billing/snapshots');
      expect(snap.status).toBe(200);

      const growth = await api('operator', 'GET', '/billing/reports/growth');
      expect(growth.status).toBe(200);
      const today = new Date().toISOString().slice(0, 7);
      const month = growth.body.rows.find(
        (r: { month: string }) => r.month === today,
      );
      // every activated seeded tenant signed up today, this month
      expect(month.new).toBe(activated.length);

      const query = '/billing/reports/top-tenants?by=seats&limit=100';
      const all = (await api('operator', 'GET', query)).body.rows as Array<{
        tenant: string;
        partner: string | null;
      }>;
      const mine = (await api('staff', 'GET', query)).body.rows as typeof all;
      expect(all.some(r => r.partner !== ownName)).toBe(true);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.map(r => r.tenant).sort()).toEqual(
        all
          .filter(r => r.partner === ownName)
          .map(r => r.tenant)
          .sort(),
      );
      const csv = await fetch(
        `${portal!.backendUrl}/api${query.replace(
          'top-tenants',
          'top-tenants.csv',
        )}`,
        { headers: { authorization: auth.staff } },
      );
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines.length).toBe(mine.length + 1);

      expect(
        (await api('staff', 'GET', '/billing/reports/partners')).status,
      ).toBe(403);
      const saved = await api('staff', 'POST', '/billing/reports/saved', {
        name: 'Our seats',
        report: 'top-tenants',
        filters: { by: 'seats', limit: 100 },
      });
      expect(saved.status).toBe(201);
      expect(saved.body.partnerRef).toBe(`partner:default/${ownName}`);
      const listed = await api('operator', 'GET', '/billing/reports/saved');
      expect(listed.body.items.map((r: { name: string }) => r.name)).toContain(
        'Our seats',
      );
      expect(
        (
          await api(
            'staff',
            'DELETE',
            `/billing/reports/saved/${saved.body.id}`,
          )
        ).status,
      ).toBe(204);
    });

    it("partner staff read only their own partner's billing (randomized over every read endpoint) and every write answers 403", async () => {
      const own = new Set(
        tenants
          .filter(t => partnerOf(t) === partner.metadata.name)
          .map(t => t.metadata.name),
      );
      const ownRef = `partner:default/${partner.metadata.name}`;
      const names = tenants.map(t => t.metadata.name);
      const statuses = ['draft', 'open', 'paid', 'void', 'uncollectible'];
      const random = pseudoRandom(516);
      const problems: string[] = [];
      let rows = 0;
      for (let i = 0; i < 60; i++) {
        const name = random.pick(names);
        const pick = Math.floor(random.next() * 5);
        if (pick === 0) {
          const res = await api(
            'staff',
            'GET',
            `/billing/tenants?limit=${1 + Math.floor(random.next() * 50)}`,
          );
          for (const item of res.body.items) {
            rows += 1;
            if (item.partnerRef !== ownRef)
              problems.push(`tenants:${item.tenant}`);
          }
        } else if (pick === 1) {
          const res = await api('staff', 'GET', `/billing/tenants/${name}`);
          if (res.status !== (own.has(name) ? 200 : 404)) {
            problems.push(`tenant ${name}: ${res.status}`);
          }
        } else if (pick === 2) {
          const res = await api(
            'staff',
            'GET',
            `/billing/tenants/${name}/invoices`,
          );
          if (res.status !== (own.has(name) ? 200 : 404)) {
            problems.push(`invoices of ${name}: ${res.status}`);
          }
        } else if (pick === 3) {
          const p = random.pick(partners).metadata.name;
          const query = [
            random.next() < 0.5 ? `partner=${p}` : '',
            random.next() < 0.3 ? `tenant=${name}` : '',
            random.next() < 0.3 ? `status=${random.pick(statuses)}` : '',
          ]
            .filter(Boolean)
            .join('&');
          const res = await api('staff', 'GET', `/billing/invoices?${query}`);
          if (res.status !== 200)
            problems.push(`invoices?${query}: ${res.status}`);
          for (const item of res.body.items) {
            rows += 1;
            if (item.partnerRef !== ownRef)
              problems.push(`invoices:${item.id}`);
          }
        } else {
          const res = await api('staff', 'GET', '/billing/mrr');
          for (const p of res.body.partners) {
            rows += 1;
            if (p.partnerRef !== ownRef) problems.push(`mrr:${p.partnerRef}`);
          }
          if (res.body.direct.length) problems.push('mrr: direct tenants');
        }
      }
      expect(problems).toEqual([]);
      expect(rows).toBeGreaterThan(0);

      const [price] = (await api('staff', 'GET', '/billing/prices')).body.items;
      const someone = random.pick([...own]);
      const writes: Array<[string, string, unknown?]> = [
        [
          'POST',
          '/billing/prices',
          { plan: 'x', currency: 'EUR', cycle: 'monthly', perSeatAmount: 1 },
        ],
        [
          'PATCH',
          `/billing/prices/${price.id}`,
          { perSeatAmount: 1, version: price.version },
        ],
        ['GET', `/billing/prices/${price.id}/impact?perSeatAmount=1`],
        ['POST', `/billing/tenants/${someone}/sync`],
        ['POST', '/billing/reconcile'],
        ['GET', '/billing/stripe/events'],
      ];
      for (const [method, url, body] of writes) {
        const res = await api('staff', method, url, body);
        expect([method, url, res.status]).toEqual([method, url, 403]);
      }
      const after = (
        await api('operator', 'GET', `/billing/prices/${price.id}`)
      ).body;
      expect(after.version).toBe(price.version);
    });
  },
);
