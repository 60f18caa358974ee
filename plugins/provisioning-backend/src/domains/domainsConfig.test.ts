import { ConfigReader } from '@backstage/config';
import { JsonValue } from '@backstage/types';
import { domainServiceFromConfig, resolversFromConfig } from './domainsConfig';

const domains = (resolvers: JsonValue) =>
  new ConfigReader({ resolvers }, 'app-config.yaml');

describe('resolversFromConfig', () => {
  it('takes a list, or a comma-separated string as an environment variable gives it', () => {
    expect(resolversFromConfig(domains(['1.1.1.1', '8.8.8.8:53']))).toEqual([
      '1.1.1.1',
      '8.8.8.8:53',
    ]);
    expect(resolversFromConfig(domains('127.0.0.1:7025'))).toEqual([
      '127.0.0.1:7025',
    ]);
    expect(
      resolversFromConfig(domains(' 127.0.0.1:7025 , [::1]:53,,')),
    ).toEqual(['127.0.0.1:7025', '[::1]:53']);
  });

  it('is undefined (the default resolvers) when unset or an empty string', () => {
    expect(resolversFromConfig(undefined)).toBeUndefined();
    expect(resolversFromConfig(new ConfigReader({}))).toBeUndefined();
    expect(resolversFromConfig(domains(''))).toBeUndefined();
    expect(resolversFromConfig(domains(' , '))).toBeUndefined();
  });

  it('refuses other shapes, and host names in a string as in a list', () => {
    expect(() => resolversFromConfig(domains(53))).toThrow(/resolvers/);
    const config = (resolvers: JsonValue) =>
      new ConfigReader({ provisioning: { domains: { resolvers } } });
    const build = (resolvers: JsonValue) =>
      domainServiceFromConfig(config(resolvers), {} as any, {
        record: async () => [],
      });
    expect(() => build('127.0.0.1:7025,8.8.8.8')).not.toThrow();
    expect(() => build('127.0.0.1:7025,dns.google')).toThrow(
      /"dns.google" is not an IP address/,
    );
    expect(() => build(['dns.google'])).toThrow(/is not an IP address/);
  });
});
