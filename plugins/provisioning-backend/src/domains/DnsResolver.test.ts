import { startLocalDnsServer } from '../__testUtils__/dnsServer';
import { PinnedResolver } from './DnsResolver';

describe('PinnedResolver', () => {
  it('asks only its servers: found, none for NXDOMAIN, an error (bounded in time) when the server does not answer', async () => {
    const server = await startLocalDnsServer();
    server.txt('acme.example', ['v=spf1 ', 'mx -all']);
    server.mx('acme.example', 10, 'Mail.Dezky.Example.');
    const resolver = new PinnedResolver({
      servers: [server.address],
      timeoutMs: 200,
      tries: 1,
    });
    expect(resolver.servers()).toEqual([server.address]);
    expect(await resolver.lookup('TXT', 'acme.example')).toEqual({
      kind: 'found',
      values: ['v=spf1 mx -all'],
    });
    expect(await resolver.lookup('MX', 'acme.example')).toEqual({
      kind: 'found',
      values: ['10 mail.dezky.example'],
    });
    expect(await resolver.lookup('TXT', 'nothing.acme.example')).toEqual({
      kind: 'none',
    });
    expect(server.queries).toEqual([
      'TXT acme.example',
      'MX acme.example',
      'TXT nothing.acme.example',
    ]);
    await server.close();
    const started = Date.now();
    const failed = await resolver.lookup('TXT', 'acme.example');
    expect(failed).toMatchObject({ kind: 'error' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
