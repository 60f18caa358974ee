import { parseZoneFile } from './StalwartClient';

describe('parseZoneFile', () => {
  it('reads the records of a Stalwart zone file: names without the dot, TXT chunks joined, semicolons inside quotes kept', () => {
    const zone = [
      '; the records acme.example should publish',
      'acme.example. IN MX 10 mail.dezky.example.',
      'acme.example. IN TXT "v=spf1 mx -all"',
      'v1-ed25519-20261207._domainkey.acme.example. IN TXT "v=DKIM1; k=ed25519; h=sha256; p=MCowBQYDK2VwAyEA"',
      'v1-rsa-20261207._domainkey.acme.example. IN TXT ( "v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkq" "hkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" )',
      '_dmarc.acme.example. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@acme.example"',
      '_jmap._tcp.acme.example. IN SRV 0 1 443 mail.dezky.example.',
      'autoconfig.acme.example. IN CNAME mail.dezky.example.',
      'long.acme.example. IN TXT (',
      '   "part one;"',
      '   "part two" ) ; trailing comment',
      '',
    ].join('\n');
    expect(parseZoneFile(zone)).toEqual([
      { name: 'acme.example', type: 'MX', value: '10 mail.dezky.example.' },
      { name: 'acme.example', type: 'TXT', value: 'v=spf1 mx -all' },
      {
        name: 'v1-ed25519-20261207._domainkey.acme.example',
        type: 'TXT',
        value: 'v=DKIM1; k=ed25519; h=sha256; p=MCowBQYDK2VwAyEA',
      },
      {
        name: 'v1-rsa-20261207._domainkey.acme.example',
        type: 'TXT',
        value:
          'v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
      },
      {
        name: '_dmarc.acme.example',
        type: 'TXT',
        value: 'v=DMARC1; p=reject; rua=mailto:postmaster@acme.example',
      },
      {
        name: '_jmap._tcp.acme.example',
        type: 'SRV',
        value: '0 1 443 mail.dezky.example.',
      },
      {
        name: 'autoconfig.acme.example',
        type: 'CNAME',
        value: 'mail.dezky.example.',
      },
      { name: 'long.acme.example', type: 'TXT', value: 'part one;part two' },
    ]);
  });

  it('reads nothing from an empty zone file', () => {
    expect(parseZoneFile('')).toEqual([]);
  });
});
