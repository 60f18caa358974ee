import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  startDevPlatform,
} from '@internal/dev-platform';
import { stalwartAuthorization, StalwartClient } from './StalwartClient';
import { DEFAULT_LIMITS, SystemHttp } from './SystemHttp';

/*
 * The Stalwart client against the stand-in (JMAP as Stalwart 0.16 documents
 * it): bulk listing pages past the server's cap on `limit` (500 objects), and
 * a duplicate domain is adopted, not created twice.
 */
describe('StalwartClient against dev-platform', () => {
  let platform: DevPlatform;
  let client: StalwartClient;

  beforeAll(async () => {
    platform = await startDevPlatform({ dkimDelayMs: 60_000 });
    const c = DEV_PLATFORM_CREDENTIALS.stalwart;
    client = new StalwartClient(
      new SystemHttp('stalwart', platform.urls.stalwart, DEFAULT_LIMITS),
      stalwartAuthorization({ username: c.username, password: c.password }),
    );
  });

  afterAll(() => platform.stop());

  it('lists every domain in bulk, in a few calls, past the 500 objects a query answers', async () => {
    const names = Array.from({ length: 1_234 }, (_, i) => `d${i}.example`);
    for (let i = 0; i < names.length; i += 100) {
      const batch = names.slice(i, i + 100);
      const created = await client.createDomains(
        batch.map(name => ({ name, description: 'bulk' })),
      );
      expect(created.map(c => c.existed)).toEqual(batch.map(() => false));
    }
    const before = platform.calls('stalwart').length;
    const listed = await client.listDomains();
    expect(listed.map(d => d.name).sort()).toEqual([...names].sort());
    expect(new Set(listed.map(d => d.id)).size).toBe(names.length);
    // three query pages (500 + 500 + 234) and one request of gets
    expect(platform.calls('stalwart').length - before).toBeLessThanOrEqual(4);

    const again = await client.createDomains([
      { name: names[7], description: 'bulk' },
    ]);
    expect(again).toEqual([
      {
        name: names[7],
        id: listed.find(d => d.name === names[7])!.id,
        existed: true,
      },
    ]);
    expect(platform.state().stalwart.domains).toHaveLength(names.length);
  });
});
