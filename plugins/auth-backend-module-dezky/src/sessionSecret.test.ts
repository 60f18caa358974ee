import { ConfigReader } from '@backstage/config';
import {
  assertSessionSecret,
  DEVELOPMENT_SESSION_SECRET,
} from './sessionSecret';

const config = (environment: string, secret?: string) =>
  new ConfigReader({
    auth: { environment, ...(secret && { session: { secret } }) },
  });

describe('assertSessionSecret', () => {
  it('refuses production without a secret or with the development default', () => {
    expect(() => assertSessionSecret(config('production'))).toThrow(
      'AUTH_SESSION_SECRET',
    );
    expect(() =>
      assertSessionSecret(config('production', DEVELOPMENT_SESSION_SECRET)),
    ).toThrow('AUTH_SESSION_SECRET');
  });

  it('accepts a real secret in production and anything in development', () => {
    expect(() =>
      assertSessionSecret(config('production', 'x7Ks…long-random')),
    ).not.toThrow();
    expect(() =>
      assertSessionSecret(config('development', DEVELOPMENT_SESSION_SECRET)),
    ).not.toThrow();
    expect(() => assertSessionSecret(config('development'))).not.toThrow();
  });
});
