import { startupFailure } from './startupFailure';

describe('startupFailure', () => {
  it("names each failed plugin and module of Backstage's startup result, on one line", () => {
    const error = Object.assign(
      new Error(
        "Backend startup failed due to the following errors:\n  Module 'dezky-oidc' …",
      ),
      {
        result: {
          plugins: [
            { pluginId: 'catalog', modules: [] },
            {
              pluginId: 'auth',
              modules: [
                {
                  moduleId: 'dezky-oidc',
                  failure: {
                    allowed: false,
                    error: new Error(
                      'production configuration refused: set AUTH_SESSION_SECRET',
                    ),
                  },
                },
              ],
            },
            {
              pluginId: 'health',
              failure: {
                allowed: false,
                error: new Error('line one\nline two'),
              },
              modules: [],
            },
            {
              pluginId: 'flags',
              failure: { allowed: true, error: new Error('allowed to fail') },
              modules: [],
            },
          ],
        },
      },
    );
    expect(startupFailure(error)).toBe(
      'Dezky portal did not start: auth.dezky-oidc: production configuration refused: set AUTH_SESSION_SECRET; health: line one line two',
    );
  });

  it('gives the message of any other error (a root service failed)', () => {
    expect(
      startupFailure(
        new Error(
          'audit.signing.current is not configured: set AUDIT_SIGNING_KID',
        ),
      ),
    ).toBe(
      'Dezky portal did not start: audit.signing.current is not configured: set AUDIT_SIGNING_KID',
    );
    expect(startupFailure('plain')).toBe('Dezky portal did not start: plain');
  });
});
