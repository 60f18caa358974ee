// @ts-check
/**
 * dev-idp: a tiny OpenID Connect identity provider for developing the Dezky
 * portal without a real Authentik. DEVELOPMENT ONLY: there are no passwords
 * (anyone who can reach the port can sign in as anyone), keys and sessions live
 * in memory and vanish on restart. It refuses to start when NODE_ENV=production
 * and only listens on 127.0.0.1.
 *
 * Run: node scripts/dev-idp/index.mjs
 * Prints one line `dev-idp listening on http://127.0.0.1:<port>`; the issuer is
 * that URL, discovery is at <issuer>/.well-known/openid-configuration.
 *
 * People: the User entities of catalog/org.yaml, plus ANY other syntactically
 * valid email address (like Authentik knowing people the catalog does not; the
 * portal is expected to refuse those). Sign-in = pick or type an email.
 *
 * Environment:
 *   DEV_IDP_PORT           port on 127.0.0.1 (default 7010; 0 = any free port)
 *   DEV_IDP_CLIENT_ID      client id (default dezky-portal-dev)
 *   DEV_IDP_CLIENT_SECRET  client secret (default dezky-dev-secret)
 *   DEV_IDP_REDIRECT_URIS  comma-separated redirect URIs
 *                          (default http://localhost:7007/api/auth/oidc/handler/frame)
 *   DEV_IDP_ORG_FILE       catalog file with the users (default <repo>/catalog/org.yaml)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider, { interactionPolicy } from 'oidc-provider';
import { parseAllDocuments } from 'yaml';

const fail = message => {
  console.error(`dev-idp: ${message}`);
  process.exit(1);
};
if (process.env.NODE_ENV === 'production') {
  fail('refusing to start with NODE_ENV=production: it signs anyone in.');
}

const env = process.env;
const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(env.DEV_IDP_PORT || 7010);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`DEV_IDP_PORT must be a port number or 0, not "${env.DEV_IDP_PORT}".`);
}
const clientId = env.DEV_IDP_CLIENT_ID || 'dezky-portal-dev';
const clientSecret = env.DEV_IDP_CLIENT_SECRET || 'dezky-dev-secret';
const redirectUris = (
  env.DEV_IDP_REDIRECT_URIS ||
  'http://localhost:7007/api/auth/oidc/handler/frame'
)
  .split(',')
  .map(s => s.trim())
  .filter(Boolean);
const orgFile =
  env.DEV_IDP_ORG_FILE || path.resolve(here, '../../catalog/org.yaml');

// --- people: the catalog's users, keyed by lowercased email -------------------
const entities = parseAllDocuments(readFileSync(orgFile, 'utf8'))
  .map(doc => doc.toJS())
  .filter(e => e && typeof e === 'object');
const groupName = new Map();
for (const g of entities.filter(e => e.kind === 'Group')) {
  const { name, title } = g.metadata;
  groupName.set(name, g.spec?.profile?.displayName || title || name);
}
/** @type {Map<string, {email: string, name: string, groups: string[]}>} */
const catalogUsers = new Map();
for (const u of entities.filter(e => e.kind === 'User')) {
  const email = u.spec?.profile?.email?.toLowerCase();
  if (!email) continue;
  const name = u.spec.profile.displayName || u.metadata.name;
  const groups = (u.spec.memberOf || []).map(g => groupName.get(g) || g);
  catalogUsers.set(email, { email, name, groups });
}

const EMAIL = /^[^\s@<>()",;:\\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const isEmail = s => typeof s === 'string' && s.length < 255 && EMAIL.test(s);

/** The catalog user with this email, or someone named by its local part. */
function personFor(email) {
  const id = email.toLowerCase();
  return catalogUsers.get(id) || { email: id, name: id.split('@')[0] };
}

// --- HTML --------------------------------------------------------------------
const esc = s => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:34rem;margin:2rem auto}
button{margin:.2rem 0;padding:.4rem .8rem}.user{text-align:left;width:100%}
.err{color:#b00020}small{color:#555}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;

/** The sign-in page: an email field, then one button per catalog user. */
function loginPage(error = '', value = '', current = '') {
  const person = u => `<form method="post">
<input type="hidden" name="email" value="${esc(u.email)}">
<button class="user" type="submit"><b>${esc(u.name)}</b> ${esc(`<${u.email}>`)}
<br><small>${esc(u.groups.join(', ') || 'no group')}</small></button></form>`;
  const signedIn = `<p>Signed in here as <b>${esc(
    current,
  )}</b>; pick again.</p>`;
  return page(
    'Dezky development sign-in',
    `<p><small>Development identity provider: no password.</small></p>
${current ? signedIn : ''}${error ? `<p class="err">${esc(error)}</p>` : ''}
<form method="post"><label>Email <input name="email" type="email" required
  value="${esc(
    value,
  )}" autofocus></label> <button type="submit">Sign in</button>
</form><h2>People in the catalog</h2>
${[...catalogUsers.values()].map(person).join('\n')}`,
  );
}

// --- the OpenID provider (created once we know the port) ---------------------
/**
 * The default interaction policy, plus: show the sign-in page on every
 * authorization request, even with a live session, so signing out of the portal
 * and in again lets you be someone else. Only prompt=none stays silent.
 */
function alwaysAskWho() {
  const policy = interactionPolicy.base();
  const check = new interactionPolicy.Check(
    'dev_pick_person',
    'pick who to sign in as',
    ctx => ctx.oidc.route === 'authorization' && !ctx.oidc.prompts.has('none'),
  );
  policy.get('login')?.checks.push(check);
  return policy;
}

function createProvider(issuer) {
  const hour = 60 * 60;
  const twoWeeks = 14 * 24 * hour;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = { ...key.export({ format: 'jwk' }), alg: 'RS256', use: 'sig' };
  return new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [{ ...jwk, kid: `dev-idp-${Date.now()}` }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(_ctx, sub) {
      if (!isEmail(sub)) return undefined;
      const { email, name } = personFor(sub);
      const claims = { sub: email, email, email_verified: true, name };
      return { accountId: email, claims: async () => claims };
    },
    // No consent screen: the portal is our own client, so each sign-in gets a
    // grant covering whatever scopes and claims it asked for.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const { Grant } = oidc.provider;
      const clientId = oidc.client.clientId;
      const grantId =
        oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
      const grant =
        (grantId && (await Grant.find(grantId))) ||
        new Grant({ accountId: oidc.account.accountId, clientId });
      grant.addOIDCScope(oidc.requestParamOIDCScopes);
      grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    // Backstage refreshes its session with a refresh token, and usually does not
    // get offline_access (oidc-provider drops it without prompt=consent).
    issueRefreshToken: async (_ctx, client) =>
      client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => false }, // confidential client; PKCE if sent
    interactions: {
      policy: alwaysAskWho(),
      url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      // Backstage revokes the refresh token on sign-out if this endpoint exists.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            'Sign out of Dezky development sign-in?',
            `${form}<button type="submit" form="op.logoutForm" name="logout"
value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: async ctx => {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      const lines = Object.entries(out).map(([k, v]) => `${k}: ${v}`);
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<pre>${esc(lines.join('\n'))}</pre>`);
    },
    // Explicit lifetimes (the defaults print notices on stdout).
    ttl: {
      AccessToken: hour,
      IdToken: hour,
      Interaction: hour,
      Grant: twoWeeks,
      RefreshToken: twoWeeks,
      Session: twoWeeks,
    },
  });
}

// --- our sign-in pages, /interaction/:uid --------------------------------------
/** Reads a small application/x-www-form-urlencoded body. */
async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('request body too large');
  }
  return new URLSearchParams(body);
}

async function interaction(provider, req, res, uid) {
  const send = (status, html) =>
    res
      .writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      })
      .end(html);
  let details;
  try {
    details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('this is not your sign-in page');
  } catch (err) {
    const msg = `${err.message}. Start again from the portal.`;
    return send(400, page('Sign-in error', `<p class="err">${esc(msg)}</p>`));
  }
  const current = details.session?.accountId || '';
  if (req.method === 'GET') return send(200, loginPage('', '', current));
  if (req.method !== 'POST') return send(405, page('Method not allowed', ''));

  const email = ((await readForm(req)).get('email') || '').trim();
  if (!isEmail(email)) {
    const error = email ? `"${email}" is not an email address.` : 'Enter one.';
    return send(400, loginPage(error, email, current));
  }
  // Login only: the grant comes from loadExistingGrant, so no consent step.
  const result = { login: { accountId: email.toLowerCase() } };
  await provider.interactionFinished(req, res, result, {
    mergeWithLastSubmission: false,
  });
}

// --- HTTP server: listen first, then build the provider for the real port -----
/** @type {http.RequestListener} */
let handler = (_req, res) => void res.writeHead(503).end();
const server = http.createServer((req, res) => handler(req, res));
server.on('error', err => fail(`cannot serve on 127.0.0.1:${port}: ${err}`));
server.listen(port, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (
    server.address()
  );
  const issuer = `http://127.0.0.1:${address.port}`;
  const provider = createProvider(issuer);
  provider.on('server_error', (_ctx, err) => console.error('dev-idp:', err));
  const oidc = provider.callback();
  handler = (req, res) => {
    const { pathname } = new URL(req.url || '/', issuer);
    const uid = /^\/interaction\/([\w-]+)$/.exec(pathname)?.[1];
    if (!uid) return oidc(req, res);
    interaction(provider, req, res, uid).catch(err => {
      console.error('dev-idp: sign-in page failed:', err);
      if (!res.headersSent) res.writeHead(500);
      res.end('internal error');
    });
  };
  console.log(`dev-idp listening on ${issuer}`);
});
