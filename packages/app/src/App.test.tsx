import { render, screen } from '@testing-library/react';
import App from './App';

/*
 * The whole app (App.tsx: every feature, the nav and sign-in modules) as a
 * signed-out visitor sees it: the portal's own sign-in page, with its one
 * provider (Dezky SSO, OIDC) and nothing of the portal behind it.
 */
describe('App', () => {
  it('renders the sign-in page with the Dezky SSO provider, and nothing behind it', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            // as app-config.yaml: the sign-in page's header shows app.title
            app: { title: 'Dezky Operator Portal' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };

    render(App.createRoot());

    expect(
      await screen.findByRole('heading', { name: 'Dezky Operator Portal' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Dezky SSO')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Sign in with your Dezky account (Authentik). Operators and partner staff use the same sign-in.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign In' })).toBeEnabled();
    // the only way in: no guest sign-in, no page of the portal yet
    expect(screen.getAllByRole('button')).toHaveLength(1);
    expect(screen.queryByText('Tenants')).not.toBeInTheDocument();
  });
});
