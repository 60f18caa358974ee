import { expect, Page, test } from '@playwright/test';
import { e2eOnly } from './e2eCatalog';
import { seeded } from './seeded';
import { signIn } from './signIn';

/*
 * The Tenants page against the real backend: the catalog pages, sorts,
 * filters and searches, and for partner staff applies the permission
 * policy in its SQL. The e2e backend holds the seeded catalog/ and the
 * fixtures' extra tenants (fixtures/tenants-e2e.yaml), so an operator and
 * Alpenwerk's staff both have more than one page.
 */

const ALPENWERK = 'alpenwerk-systems';
const STAFF = 'mia.huber@alpenwerk.example';

async function allTenants(): Promise<any[]> {
  const tenants = [...(await seeded('Tenant')), ...(await e2eOnly('Tenant'))];
  // the catalog's order by name (lower-case names: plain code-point order)
  return tenants.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

const titles = (tenants: any[]) => tenants.map(t => t.metadata.title);
const statusOf = (t: any) => t.spec.status ?? 'active';

/** The text of one column's cells, in row order. */
function column(page: Page, index: number) {
  return page.locator(`tbody tr td:nth-child(${index})`).allTextContents();
}

/** Waits for the rows to be these tenants, in this order. */
async function expectRows(page: Page, tenants: any[]) {
  await expect(page.locator('tbody tr td:first-child a')).toHaveText(
    titles(tenants),
  );
}

async function choose(page: Page, param: string, option: string | RegExp) {
  await page.getByTestId(`filter-${param}`).getByRole('button').click();
  await page.getByRole('option', { name: option }).click();
}

async function search(page: Page, text: string) {
  await page.getByLabel('Search tenants (name, title, domain)').fill(text);
}

function query(page: Page) {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/**
 * Every tenant the catalog sends the browser on this page: the items of each
 * answer to the Tenants table's queries.
 */
function catalogAnswers(page: Page) {
  const received: any[] = [];
  const answers: Promise<void>[] = [];
  page.on('response', res => {
    if (!res.url().includes('/api/catalog/entities/by-query')) return;
    answers.push(
      res.json().then(body => {
        received.push(...(body.items ?? []));
      }),
    );
  });
  return {
    received,
    settled: async () => {
      await Promise.all(answers);
      return received;
    },
  };
}

test('the tenants table pages through every tenant on the server, and Back returns to the previous page', async ({
  page,
}) => {
  const tenants = await allTenants();
  expect(tenants.length).toBeGreaterThan(40);
  await signIn(page);
  await page.getByRole('link', { name: 'Tenants', exact: true }).click();

  // the catalog may still be ingesting right after start: reload until complete
  await expect(async () => {
    await page.goto('/tenants');
    await expect(
      page.getByText(`Tenants (${tenants.length} of ${tenants.length})`),
    ).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 60_000 });
  await expectRows(page, tenants.slice(0, 20));

  await page.getByRole('button', { name: 'Next Page' }).click();
  await expectRows(page, tenants.slice(20, 40));
  expect(query(page)).toEqual({ page: '2' });
  await page.getByRole('button', { name: 'Next Page' }).click();
  await expectRows(page, tenants.slice(40, 60));
  expect(query(page)).toEqual({ page: '3' });

  await page.goBack();
  await expectRows(page, tenants.slice(20, 40));
  expect(query(page)).toEqual({ page: '2' });

  // 50 a page: every tenant at once, and it survives a reload
  await page.getByRole('button', { name: /20 rows/ }).click();
  await page.getByRole('option', { name: '50' }).click();
  await expectRows(page, tenants);
  expect(query(page)).toEqual({ pageSize: '50' });
  await page.reload();
  await expectRows(page, tenants);

  // sorted by plan on the server, both ways; the headers stay on one line
  const header = page.getByRole('columnheader', { name: 'Plan' });
  await header.getByRole('button').click();
  await expect(page).toHaveURL(/sort=plan/);
  const plans = tenants.map(t => t.spec.plan);
  await expect(page.locator('tbody tr td:nth-child(3)')).toHaveText(
    [...plans].sort(),
  );
  await header.getByRole('button').click();
  await expect(page).toHaveURL(/order=desc/);
  await expect(page.locator('tbody tr td:nth-child(3)')).toHaveText(
    [...plans].sort().reverse(),
  );
  // every column header on one line: its text's boxes share one top
  for (const th of await page.getByRole('columnheader').all()) {
    const lines = await th.evaluate(el => {
      const tops = new Set<number>();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
      }
      return tops.size;
    });
    expect(lines).toBeLessThanOrEqual(1);
  }
});

test('the tenants table filters by partner, plan and status and searches on the server, in the URL', async ({
  page,
}) => {
  const tenants = await allTenants();
  await signIn(page);
  await page.goto('/tenants');
  await expect(
    page.getByText(`Tenants (${tenants.length} of ${tenants.length})`),
  ).toBeVisible();

  const alpenwerk = tenants.filter(t => t.spec.partner === ALPENWERK);
  await choose(page, 'partner', `${ALPENWERK} (${alpenwerk.length})`);
  await expect(
    page.getByText(`Tenants (${alpenwerk.length} of ${tenants.length})`),
  ).toBeVisible();
  await expectRows(page, alpenwerk.slice(0, 20));
  expect(query(page)).toEqual({ partner: ALPENWERK });

  // a tenant without a status is active
  const active = alpenwerk.filter(t => statusOf(t) === 'active');
  await choose(page, 'status', 'active');
  await expectRows(page, active.slice(0, 20));
  await expect(
    page.getByText(`Tenants (${active.length} of ${tenants.length})`),
  ).toBeVisible();

  const plan = active.filter(t => t.spec.plan === 'business');
  await choose(page, 'plan', /^business \(\d+\)$/);
  await expectRows(page, plan);
  expect(query(page)).toEqual({
    partner: ALPENWERK,
    status: 'active',
    plan: 'business',
  });

  // Back undoes the last filter
  await page.goBack();
  await expectRows(page, active.slice(0, 20));

  // sold directly
  const direct = tenants.filter(t => !t.spec.partner);
  await page.goto('/tenants');
  await choose(page, 'partner', `Direct (${direct.length})`);
  await expectRows(page, direct);
  expect(query(page)).toEqual({ partner: '(direct)' });

  // search: a domain that is not the primary one, and a title
  await page.goto('/tenants');
  await search(page, 'acme-mail');
  await expectRows(page, [tenants.find(t => t.metadata.name === 'acme')]);
  await expect(page).toHaveURL(/q=acme-mail/);
  await search(page, 'E2E Tenant 1');
  await expectRows(
    page,
    tenants.filter(t => t.metadata.title.startsWith('E2E Tenant 1')),
  );

  // nothing matches
  await page.goto('/tenants?q=no-such-tenant');
  await expect(
    page.getByText('No tenant matches these filters.'),
  ).toBeVisible();
});

test("partner staff page, sort, filter and search only their partner's tenants, and receive no other", async ({
  page,
}) => {
  const tenants = await allTenants();
  const own = tenants.filter(t => t.spec.partner === ALPENWERK);
  expect(own.length).toBeGreaterThan(20);
  const others = tenants.filter(t => t.spec.partner !== ALPENWERK);
  const catalog = catalogAnswers(page);

  await signIn(page, STAFF);
  await page.getByRole('link', { name: 'Tenants', exact: true }).click();
  await expect(
    page.getByText(`Tenants (${own.length} of ${own.length})`),
  ).toBeVisible();
  await expectRows(page, own.slice(0, 20));

  // the partner picker offers their partner only (no direct sales either)
  await page.getByTestId('filter-partner').getByRole('button').click();
  await expect(page.getByRole('option')).toHaveText([
    'All',
    `${ALPENWERK} (${own.length})`,
  ]);
  await page.keyboard.press('Escape');

  // every page, both ways by name and by plan
  await page.getByRole('button', { name: 'Next Page' }).click();
  await expectRows(page, own.slice(20));
  await page.goto('/tenants?order=desc');
  await expectRows(page, [...own].reverse().slice(0, 20));
  await page.goto('/tenants?order=desc&page=2');
  await expectRows(page, [...own].reverse().slice(20));
  for (const order of ['asc', 'desc']) {
    for (const p of [1, 2]) {
      await page.goto(`/tenants?sort=plan&order=${order}&page=${p}`);
      await expect(page.locator('tbody tr')).toHaveCount(
        p === 1 ? 20 : own.length - 20,
      );
      const plans = await column(page, 3);
      const sorted = [...plans].sort();
      expect(plans).toEqual(order === 'asc' ? sorted : sorted.reverse());
    }
  }

  // filters, search and page sizes
  for (const plan of ['starter', 'business', 'enterprise']) {
    await page.goto(`/tenants?plan=${plan}&pageSize=50`);
    await expectRows(
      page,
      own.filter(t => t.spec.plan === plan),
    );
  }
  for (const status of ['active', 'suspended', 'cancelled']) {
    await page.goto(`/tenants?status=${status}&pageSize=100`);
    const expected = own.filter(t => statusOf(t) === status);
    if (expected.length) await expectRows(page, expected);
    else
      await expect(
        page.getByText('No tenant matches these filters.'),
      ).toBeVisible();
  }
  await page.goto('/tenants?q=e2e&pageSize=50');
  await expectRows(
    page,
    own.filter(t => t.metadata.name.includes('e2e')),
  );

  // asking for another partner's tenants by hand finds nothing
  for (const url of [
    '/tenants?partner=nordlicht-it',
    '/tenants?partner=(direct)',
    '/tenants?q=acme',
    `/tenants?q=${
      others.find(t => t.metadata.name.startsWith('e2e')).metadata.name
    }`,
  ]) {
    await page.goto(url);
    await expect(
      page.getByText('No tenant matches these filters.'),
    ).toBeVisible();
  }

  // nothing the catalog sent this browser belonged to another partner
  const received = await catalog.settled();
  expect(received.length).toBeGreaterThan(own.length);
  const foreign = received.filter(t => t.spec?.partner !== ALPENWERK);
  expect(foreign.map(t => t.metadata?.name)).toEqual([]);
  const ownNames = new Set(own.map(t => t.metadata.name));
  expect(received.filter(t => !ownNames.has(t.metadata.name))).toEqual([]);
  // and none of theirs was ever shown
  for (const t of others) {
    await expect(
      page.getByRole('link', { name: t.metadata.title, exact: true }),
    ).toHaveCount(0);
  }
});
