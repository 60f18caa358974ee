import { nextCheckAt } from './DomainService';
import { parseResolver } from './DnsResolver';
import {
  compareRecord,
  expectedRecords,
  ExpectedRecord,
  publishLine,
  tagList,
} from './records';

const zone = [
  { name: 'acme.example', type: 'MX', value: '10 mail.dezky.example.' },
  { name: 'acme.example', type: 'TXT', value: 'v=spf1 mx -all' },
  {
    name: 'v1-rsa-20261207._domainkey.acme.example',
    type: 'TXT',
    value: 'v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkq',
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
];

const found = (...values: string[]) => ({ kind: 'found' as const, values });

describe('expectedRecords', () => {
  it("asks for Stalwart's MX, SPF and DKIM, the tenant's DMARC and the ownership record; not Stalwart's DMARC, SRV or CNAME", () => {
    expect(
      expectedRecords({
        domain: 'Acme.Example',
        token: 't0k',
        dmarc: { policy: 'quarantine', rua: 'dmarc@acme.example' },
        zone,
      }),
    ).toEqual([
      {
        kind: 'mx',
        type: 'MX',
        name: 'acme.example',
        expected: '10 mail.dezky.example.',
      },
      {
        kind: 'spf',
        type: 'TXT',
        name: 'acme.example',
        expected: 'v=spf1 mx -all',
      },
      {
        kind: 'dkim',
        type: 'TXT',
        name: 'v1-rsa-20261207._domainkey.acme.example',
        expected: 'v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkq',
      },
      {
        kind: 'dmarc',
        type: 'TXT',
        name: '_dmarc.acme.example',
        expected: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example',
      },
      {
        kind: 'ownership',
        type: 'TXT',
        name: '_dezky.acme.example',
        expected: 'dezky-verification=t0k',
      },
    ]);
  });

  it("leaves MX, SPF and DKIM pending while Stalwart's records are not known", () => {
    const records = expectedRecords({
      domain: 'acme.example',
      token: 't',
      dmarc: { policy: 'none' },
    });
    const checks = records.map(r => compareRecord(r, found('x')));
    expect(checks.map(c => [c.kind, c.status])).toEqual([
      ['mx', 'pending'],
      ['spf', 'pending'],
      ['dkim', 'pending'],
      ['dmarc', 'different'],
      ['ownership', 'different'],
    ]);
  });
});

describe('compareRecord', () => {
  const mx: ExpectedRecord = {
    kind: 'mx',
    type: 'MX',
    name: 'acme.example',
    expected: '10 mail.dezky.example.',
  };
  const spf: ExpectedRecord = {
    kind: 'spf',
    type: 'TXT',
    name: 'acme.example',
    expected: 'v=spf1 mx -all',
  };
  const dkim: ExpectedRecord = {
    kind: 'dkim',
    type: 'TXT',
    name: 's._domainkey.acme.example',
    expected: 'v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkq',
  };
  const dmarc: ExpectedRecord = {
    kind: 'dmarc',
    type: 'TXT',
    name: '_dmarc.acme.example',
    expected: 'v=DMARC1; p=none; rua=mailto:d@acme.example',
  };
  const ownership: ExpectedRecord = {
    kind: 'ownership',
    type: 'TXT',
    name: '_dezky.acme.example',
    expected: 'dezky-verification=abc',
  };

  it('MX: host names without case or trailing dot; another priority or host is different, nothing is missing', () => {
    expect(compareRecord(mx, found('10 MAIL.Dezky.example')).status).toBe('ok');
    expect(compareRecord(mx, found('20 mail.dezky.example'))).toMatchObject({
      status: 'different',
      found: ['20 mail.dezky.example'],
    });
    expect(compareRecord(mx, { kind: 'none' }).status).toBe('missing');
  });

  it('SPF: only v=spf1 strings count; case and spacing do not matter; two SPF records are different', () => {
    expect(
      compareRecord(
        spf,
        found('google-site-verification=x', 'V=SPF1  MX  -ALL'),
      ).status,
    ).toBe('ok');
    expect(compareRecord(spf, found('google-site-verification=x'))).toEqual(
      expect.objectContaining({ status: 'missing' }),
    );
    expect(compareRecord(spf, found('v=spf1 a -all'))).toMatchObject({
      status: 'different',
      found: ['v=spf1 a -all'],
    });
    expect(
      compareRecord(spf, found('v=spf1 mx -all', 'v=spf1 a -all')),
    ).toMatchObject({
      status: 'different',
      message: expect.stringContaining('exactly one'),
    });
  });

  it('DKIM and DMARC: tags in any order after v=, spaces and a trailing ; ignored; the key keeps its case', () => {
    expect(
      compareRecord(dkim, found('v=DKIM1;h=sha256 ;  p=MIIBIjAN Bgkq; k=RSA;'))
        .status,
    ).toBe('ok');
    expect(
      compareRecord(dkim, found('v=DKIM1; k=rsa; h=sha256; p=miibijanbgkq')),
    ).toMatchObject({ status: 'different' });
    expect(
      compareRecord(dmarc, found('v=DMARC1;rua=mailto:D@acme.example;p=NONE'))
        .status,
    ).toBe('ok');
    expect(
      compareRecord(dmarc, found('p=none; v=DMARC1; rua=mailto:d@acme.example'))
        .status,
    ).toBe('different');
    expect(compareRecord(dmarc, found('v=DMARC1; p=reject'))).toMatchObject({
      status: 'different',
      found: ['v=DMARC1; p=reject'],
    });
    expect(tagList('v=DKIM1; p=Ab Cd', 'dkim')).toEqual(['v=dkim1', 'p=AbCd']);
  });

  it('ownership: the exact token; another TXT at _dezky is different; resolver errors are errors', () => {
    expect(
      compareRecord(ownership, found(' dezky-verification=abc ')).status,
    ).toBe('ok');
    expect(
      compareRecord(ownership, found('dezky-verification=abd')),
    ).toMatchObject({ status: 'different', found: ['dezky-verification=abd'] });
    expect(compareRecord(ownership, found('hello'))).toMatchObject({
      status: 'different',
      found: ['hello'],
    });
    expect(
      compareRecord(ownership, { kind: 'error', message: 'TXT x: ETIMEOUT' }),
    ).toMatchObject({ status: 'error', message: 'TXT x: ETIMEOUT' });
  });

  it('gives the exact zone line to publish, long TXT data in strings of 255', () => {
    expect(publishLine(ownership)).toBe(
      '_dezky.acme.example. IN TXT "dezky-verification=abc"',
    );
    expect(publishLine(mx)).toBe('acme.example. IN MX 10 mail.dezky.example.');
    const long = publishLine({ ...dkim, expected: `p=${'A'.repeat(400)}` })!;
    expect(long).toBe(
      `s._domainkey.acme.example. IN TXT "p=${'A'.repeat(253)}" "${'A'.repeat(
        147,
      )}"`,
    );
  });
});

describe('nextCheckAt', () => {
  it('spreads domains over the interval: each in its own slot, half to one and a half intervals after its last check', () => {
    const interval = 3_600_000;
    const last = Date.parse('2026-12-07T10:00:00Z');
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 1000; i++) {
      const next = nextCheckAt(
        `tenant:default/t${i}\nd${i}.example`,
        last,
        interval,
      );
      expect(next).toBeGreaterThanOrEqual(last + interval / 2);
      expect(next).toBeLessThan(last + 1.5 * interval);
      buckets[Math.floor(((next - last - interval / 2) / interval) * 10)]++;
      // stable: the same slot whatever the last check
      const later = nextCheckAt(
        `tenant:default/t${i}\nd${i}.example`,
        last + 123_456,
        interval,
      );
      expect(Math.abs(later - next) % interval).toBe(0);
    }
    for (const n of buckets) {
      expect(n).toBeGreaterThan(60);
      expect(n).toBeLessThan(140);
    }
  });
});

describe('parseResolver', () => {
  it('takes IP addresses with an optional port, refuses host names', () => {
    expect(parseResolver('1.1.1.1')).toBe('1.1.1.1');
    expect(parseResolver('127.0.0.1:5353')).toBe('127.0.0.1:5353');
    expect(parseResolver('[::1]:53')).toBe('[::1]:53');
    expect(() => parseResolver('dns.google')).toThrow(/not an IP address/);
    expect(() => parseResolver('1.1.1.1:99999')).toThrow(/invalid port/);
  });
});
