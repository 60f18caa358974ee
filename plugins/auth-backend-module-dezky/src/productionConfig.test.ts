import { ConfigReader } from '@backstage/config';
import {
  assertProductionConfig,
  DEVELOPMENT_CLIENT_SECRET,
  DEVELOPMENT_SESSION_SECRET,
  isProduction,
  productionConfigProblems,
} from './productionConfig';

const GOOD_SECRET = 'a'.repeat(32);
const GOOD_OIDC = {
  metadataUrl:
    'https://auth.dezky.example/application/o/portal/.well-known/openid-configuration',
  clientId: 'portal',
  clientSecret: 'a-real-client-secret',
};

/** A production config (as app-config.production.yaml gives it), with changes. */
function production(
  changes: {
    secret?: string | null;
    oidc?: Record<string, string | undefined>;
    allowHttp?: boolean;
    environment?: string;
  } = {},
) {
  const environment = changes.environment ?? 'production';
  const oidc = Object.fromEntries(
    Object.entries({ ...GOOD_OIDC, ...changes.oidc }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return new ConfigReader({
    auth: {
      environment,
      ...(changes.secret !== null && {
        session: { secret: changes.secret ?? GOOD_SECRET },
      }),
      providers: { oidc: { [environment]: oidc } },
      ...(changes.allowHttp !== undefined && {
        dezky: { allowHttpMetadataUrl: changes.allowHttp },
      }),
    },
  });
}

const noEnv = {};

describe('productionConfigProblems', () => {
  it('accepts a complete production configuration', () => {
    expect(productionConfigProblems(production(), noEnv)).toEqual([]);
    expect(() => assertProductionConfig(production(), noEnv)).not.toThrow();
  });

  it.each([
    ['a missing session secret', 'AUTH_SESSION_SECRET', { secret: null }],
    [
      'the development session secret',
      'AUTH_SESSION_SECRET',
      { secret: DEVELOPMENT_SESSION_SECRET },
    ],
    [
      'a session secret of 31 characters',
      'AUTH_SESSION_SECRET',
      { secret: 'a'.repeat(31) },
    ],
    [
      'a missing metadata URL',
      'AUTH_OIDC_METADATA_URL',
      { oidc: { metadataUrl: undefined } },
    ],
    [
      'a metadata URL over plain http',
      'AUTH_OIDC_METADATA_URL',
      {
        oidc: {
          metadataUrl:
            'http://auth.dezky.example/application/o/portal/.well-known/openid-configuration',
        },
      },
    ],
    [
      "the development IdP's metadata URL",
      'AUTH_OIDC_METADATA_URL',
      {
        oidc: {
          metadataUrl: 'http://127.0.0.1:7010/.well-known/openid-configuration',
        },
      },
    ],
    [
      'a metadata URL that is not a URL',
      'AUTH_OIDC_METADATA_URL',
      { oidc: { metadataUrl: 'auth.dezky.example' } },
    ],
    [
      'a missing client id',
      'AUTH_OIDC_CLIENT_ID',
      { oidc: { clientId: undefined } },
    ],
    [
      'a missing client secret',
      'AUTH_OIDC_CLIENT_SECRET',
      { oidc: { clientSecret: undefined } },
    ],
    [
      "the development IdP's client secret",
      'AUTH_OIDC_CLIENT_SECRET',
      { oidc: { clientSecret: DEVELOPMENT_CLIENT_SECRET } },
    ],
  ])('refuses %s, naming %s, on one line', (_what, variable, changes) => {
    const problems = productionConfigProblems(production(changes), noEnv);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`set ${variable}`);
    expect(problems[0]).not.toContain('\n');
    expect(() => assertProductionConfig(production(changes), noEnv)).toThrow(
      variable,
    );
  });

  it('says how long the session secret is and how long it must be', () => {
    expect(
      productionConfigProblems(production({ secret: 'short' }), noEnv),
    ).toEqual([expect.stringContaining('is 5 characters')]);
    expect(
      productionConfigProblems(production({ secret: 'short' }), noEnv)[0],
    ).toContain('at least 32');
  });

  it('allows an http metadata URL only with auth.dezky.allowHttpMetadataUrl', () => {
    const http = {
      oidc: { metadataUrl: 'http://authentik:9000/application/o/portal/' },
    };
    expect(
      productionConfigProblems(production({ ...http, allowHttp: true }), noEnv),
    ).toEqual([]);
    expect(
      productionConfigProblems(
        production({ ...http, allowHttp: false }),
        noEnv,
      )[0],
    ).toContain('auth.dezky.allowHttpMetadataUrl');
  });

  it('lists every problem in one line when several are missing', () => {
    const bare = new ConfigReader({
      auth: {
        environment: 'production',
        providers: { oidc: { production: { prompt: 'auto' } } },
      },
    });
    const problems = productionConfigProblems(bare, noEnv);
    expect(problems.map(p => p.match(/set (\w+)/)?.[1])).toEqual([
      'AUTH_SESSION_SECRET',
      'AUTH_OIDC_METADATA_URL',
      'AUTH_OIDC_CLIENT_ID',
      'AUTH_OIDC_CLIENT_SECRET',
    ]);
    let message = '';
    try {
      assertProductionConfig(bare, noEnv);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain('\n');
    for (const variable of [
      'AUTH_SESSION_SECRET',
      'AUTH_OIDC_METADATA_URL',
      'AUTH_OIDC_CLIENT_ID',
      'AUTH_OIDC_CLIENT_SECRET',
    ]) {
      expect(message).toContain(variable);
    }
  });

  it('treats NODE_ENV=production as production even with the development config', () => {
    const development = new ConfigReader({
      auth: {
        environment: 'development',
        session: { secret: DEVELOPMENT_SESSION_SECRET },
        providers: {
          oidc: {
            development: {
              metadataUrl:
                'http://127.0.0.1:7010/.well-known/openid-configuration',
              clientId: 'dezky-portal-dev',
              clientSecret: DEVELOPMENT_CLIENT_SECRET,
            },
          },
        },
      },
    });
    expect(isProduction(development, noEnv)).toBe(false);
    expect(productionConfigProblems(development, noEnv)).toEqual([]);
    expect(isProduction(development, { NODE_ENV: 'production' })).toBe(true);
    expect(
      productionConfigProblems(development, { NODE_ENV: 'production' }),
    ).toHaveLength(3); // session secret, http metadata URL, client secret
  });

  it('leaves development alone', () => {
    expect(
      productionConfigProblems(
        new ConfigReader({ auth: { environment: 'development' } }),
        { NODE_ENV: 'development' },
      ),
    ).toEqual([]);
  });
});
