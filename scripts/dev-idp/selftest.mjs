// @ts-check
/**
 * Self-test of the development IdP, over HTTP with plain fetch (no browser):
 * starts scripts/dev-idp/index.mjs on a free port and walks the whole
 * authorization-code flow the portal's OIDC sign-in uses, including userinfo
 * and a refresh. Prints PASS/FAIL lines; exits non-zero on any failure.
 *
 * Run: node scripts/dev-idp/selftest.mjs
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The IdP's defaults, i.e. what the portal's development config uses.
const CLIENT_ID = 'dezky-portal-dev';
const CLIENT_SECRET = 'dezky-dev-secret';
const REDIRECT_URI = 'http://localhost:7007/api/auth/oidc/handler/frame';

let failures = 0;
function check(
  /** @type {string} */ what,
  /** @type {unknown} */ ok,
  /** @type {unknown} */ detail = '',
) {
  console.log(
    `${ok ? 'PASS' : 'FAIL'} ${what}${
      ok || !detail
        ? ''
        : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`
    }`,
  );
  if (!ok) failures++;
}

// --- start the IdP ------------------------------------------------------------
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('DEV_IDP_')),
);
const child = spawn(process.execPath, [path.join(here, 'index.mjs')], {
  env: { ...env, NODE_ENV: 'development', DEV_IDP_PORT: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
let out = '';
child.stderr.on('data', d => {
  stderr += d;
});
const issuer = await new Promise((resolve, reject) => {
  const timer = setTimeout(
    () =>
      reject(
        new Error(`IdP did not start in 15s; stdout: ${out} stderr: ${stderr}`),
      ),
    15_000,
  );
  child.stdout.on('data', d => {
    out += d;
    const m = /^dev-idp listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  child.on('exit', code =>
    reject(new Error(`IdP exited with ${code}; stderr: ${stderr}`)),
  );
});
check(`IdP started at ${issuer}`, true);

// --- a tiny cookie jar and a manual redirect follower -------------------------
function newJar() {
  /** @type {Map<string, string>} name -> value (path/expiry ignored: fine for one host) */
  const cookies = new Map();
  return {
    store(/** @type {Response} */ res) {
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const [name, ...rest] = pair.split('=');
        const value = rest.join('=');
        const expired =
          attrs.some(a => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) ||
          value === '';
        if (expired) cookies.delete(name.trim());
        else cookies.set(name.trim(), value);
      }
    },
    header() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
  };
}

/** fetch with the jar; never follows redirects itself. */
async function go(
  /** @type {ReturnType<typeof newJar>} */ jar,
  /** @type {string} */ url,
  /** @type {RequestInit} */ init = {},
) {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...init.headers, cookie: jar.header() },
  });
  jar.store(res);
  return res;
}

/**
 * Follows redirects (and the IdP's self-submitting form posts, which a browser's
 * JavaScript would submit) until one points at the client's redirect_uri.
 * Returns that URL, or the response where it stopped.
 */
async function followToClient(
  /** @type {ReturnType<typeof newJar>} */ jar,
  /** @type {Response} */ res,
) {
  for (let hops = 0; hops < 10; hops++) {
    const location = res.headers.get('location');
    if (res.status === 200) {
      const html = await res.clone().text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (
        !action?.startsWith(issuer) ||
        !html.includes('document.forms[0].submit()')
      )
        return { res };
      const fields = [
        ...html.matchAll(
          /<input type="hidden" name="([^"]+)" value="([^"]*)"/g,
        ),
      ].map(m => [m[1], m[2]]);
      res = await go(jar, action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      });
      continue;
    }
    if (res.status < 300 || res.status > 399 || !location) return { res };
    const next = new URL(location, res.url);
    if (next.href.startsWith(REDIRECT_URI)) return { callback: next };
    res = await go(jar, next.href);
  }
  return { res };
}

const basic = `Basic ${Buffer.from(
  `${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`,
).toString('base64')}`;
const tokenRequest = (/** @type {Record<string, string>} */ params) =>
  fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basic,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });

/** Starts a sign-in (in a new browser unless given one); returns the jar and the interaction page response. */
async function startSignIn(
  scope = 'openid profile email offline_access',
  jar = newJar(),
  codeChallenge = '',
) {
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state: 'xyz',
    nonce: 'n',
    ...(codeChallenge && {
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }),
  }).toString();
  const first = await go(jar, auth.href);
  const interactionUrl = new URL(first.headers.get('location') || '', issuer)
    .href;
  const page = interactionUrl.startsWith(`${issuer}/interaction/`)
    ? await go(jar, interactionUrl)
    : undefined;
  return { jar, first, interactionUrl, page };
}

async function signIn(
  /** @type {ReturnType<typeof newJar>} */ jar,
  /** @type {string} */ interactionUrl,
  /** @type {string} */ email,
) {
  return go(jar, interactionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email }),
  });
}

/** The whole flow for one person; returns the userinfo, the browser's jar and the last tokens. */
async function fullFlow(
  /** @type {string} */ email,
  /** @type {string} */ label,
  { scope = undefined, browser = undefined, pkce = false } = {},
) {
  const verifier = pkce ? randomBytes(32).toString('base64url') : '';
  const challenge = pkce
    ? createHash('sha256').update(verifier).digest('base64url')
    : '';
  const { jar, first, interactionUrl, page } = await startSignIn(
    scope,
    browser,
    challenge,
  );
  check(
    `${label}: /auth redirects to the interaction page`,
    first.status === 303 && page,
    `${first.status} ${interactionUrl}`,
  );
  if (!page) return {};
  const html = await page.text();
  check(
    `${label}: sign-in page renders`,
    page.status === 200 &&
      html.includes('Dezky development sign-in') &&
      /<input name="email" type="email"/.test(html) &&
      html.includes('Sign in'),
    page.status,
  );
  check(
    `${label}: sign-in page lists catalog users with their group`,
    html.includes('Anna Schmidt') &&
      html.includes('jana.petersen@nordlicht-it.example') &&
      html.includes('Nordlicht IT GmbH staff'),
  );

  const { callback, res } = await followToClient(
    jar,
    await signIn(jar, interactionUrl, email),
  );
  check(
    `${label}: redirected to redirect_uri with code and state`,
    callback?.searchParams.get('code') &&
      callback.searchParams.get('state') === 'xyz',
    res
      ? `${res.status} ${
          res.headers.get('location') || (await res.text()).slice(0, 300)
        }`
      : '',
  );
  if (!callback) return {};

  const tokenRes = await tokenRequest({
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code') || '',
    redirect_uri: REDIRECT_URI,
    ...(pkce && { code_verifier: verifier }),
  });
  const tokens = await tokenRes.json();
  check(
    `${label}: token endpoint returns id_token, access_token, refresh_token`,
    tokenRes.ok &&
      tokens.id_token &&
      tokens.access_token &&
      tokens.refresh_token,
    tokens,
  );
  if (tokens.id_token) {
    const header = JSON.parse(
      Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString(),
    );
    const claims = JSON.parse(
      Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString(),
    );
    check(
      `${label}: id_token is RS256, iss = issuer, aud = client, nonce kept`,
      header.alg === 'RS256' &&
        claims.iss === issuer &&
        claims.aud === CLIENT_ID &&
        claims.nonce === 'n',
      { header, claims },
    );
  }

  const infoRes = await fetch(`${issuer}/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  const info = await infoRes.json();
  check(`${label}: userinfo ${JSON.stringify(info)}`, infoRes.ok);

  const refreshRes = await tokenRequest({
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
  });
  const refreshed = await refreshRes.json();
  check(
    `${label}: refresh_token grant returns a new access token`,
    refreshRes.ok &&
      refreshed.access_token &&
      refreshed.access_token !== tokens.access_token,
    refreshed,
  );
  return { info, jar, tokens: { ...tokens, ...refreshed } };
}

/** RP-initiated logout in the same browser: confirm page, sign-out, session-bound refresh token dies. */
async function logout(
  /** @type {ReturnType<typeof newJar>} */ jar,
  /** @type {any} */ tokens,
) {
  const confirm = await go(jar, `${issuer}/session/end?client_id=${CLIENT_ID}`);
  const html = await confirm.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  check(
    'logout: confirmation page with a Sign out button',
    confirm.status === 200 && xsrf && html.includes('Sign out'),
    confirm.status,
  );
  const done = await go(jar, `${issuer}/session/end/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf: xsrf || '', logout: 'yes' }),
  });
  const final =
    done.status === 303
      ? await go(jar, new URL(done.headers.get('location') || '', issuer).href)
      : done;
  check(
    'logout: signed-out page',
    final.status === 200 && (await final.text()).includes('Signed out'),
    final.status,
  );
  const refreshRes = await tokenRequest({
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
  });
  check(
    'logout: the refresh token no longer works',
    refreshRes.status === 400,
    refreshRes.status,
  );
}

try {
  const discovery = await (
    await fetch(`${issuer}/.well-known/openid-configuration`)
  ).json();
  check(
    'discovery: issuer and userinfo endpoint',
    discovery.issuer === issuer &&
      discovery.userinfo_endpoint === `${issuer}/me`,
    discovery,
  );

  const { info: anna, jar: annasBrowser } = await fullFlow(
    'anna.schmidt@dezky.example',
    'catalog user',
  );
  check(
    'catalog user: userinfo has email, email_verified, name',
    anna?.email === 'anna.schmidt@dezky.example' &&
      anna.email_verified === true &&
      anna.name === 'Anna Schmidt' &&
      anna.sub === 'anna.schmidt@dezky.example',
    anna,
  );

  // Same browser, IdP session still alive: the picker shows again and switching person works.
  const {
    info: jonas,
    jar: sameBrowser,
    tokens: jonasTokens,
  } = await fullFlow(
    'jonas.weber@dezky.example',
    'switch person in the same browser',
    { browser: annasBrowser },
  );
  check(
    'switch person: userinfo is now Jonas Weber',
    jonas?.email === 'jonas.weber@dezky.example' &&
      jonas.name === 'Jonas Weber',
    jonas,
  );
  if (sameBrowser) await logout(sameBrowser, jonasTokens);

  const { info: nobody, tokens: nobodysTokens } = await fullFlow(
    'Nobody@Unknown.example',
    'unknown email',
  );
  // What Backstage does on sign-out: revoke the refresh token.
  const revoked = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: basic,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      token: nobodysTokens?.refresh_token || '',
      token_type_hint: 'refresh_token',
    }),
  });
  const afterRevoke = await tokenRequest({
    grant_type: 'refresh_token',
    refresh_token: nobodysTokens?.refresh_token || '',
  });
  check(
    'revocation: revoked refresh token no longer works',
    revoked.status === 200 && afterRevoke.status === 400,
    [revoked.status, afterRevoke.status],
  );
  check(
    'unknown email: signed in as the lowercased email, name = local part',
    nobody?.email === 'nobody@unknown.example' &&
      nobody.email_verified === true &&
      nobody.name === 'nobody',
    nobody,
  );

  const { info: noOffline } = await fullFlow(
    'jonas.weber@dezky.example',
    'like Backstage: PKCE, no offline_access',
    { scope: 'openid profile email', pkce: true },
  );
  check(
    'like Backstage: userinfo is Jonas Weber',
    noOffline?.name === 'Jonas Weber',
    noOffline,
  );

  const { jar, interactionUrl } = await startSignIn();
  for (const bad of ['notanemail', '', '<script>@x']) {
    const res = await signIn(jar, interactionUrl, bad);
    const html = await res.text();
    check(
      `invalid email ${JSON.stringify(bad)}: 400 with the form and an error`,
      res.status === 400 &&
        html.includes('class="err"') &&
        html.includes('name="email"') &&
        !html.includes('<script>'),
      res.status,
    );
  }
  const { callback } = await followToClient(
    jar,
    await signIn(jar, interactionUrl, 'jana.petersen@nordlicht-it.example'),
  );
  check(
    'a valid email after an invalid one still signs in',
    callback?.searchParams.get('code'),
  );

  check(
    'IdP printed exactly one line on stdout',
    out.trim().split('\n').length === 1,
    out,
  );
} catch (err) {
  check('no unexpected error', false, String(err?.stack || err));
} finally {
  child.kill();
}

if (
  stderr
    .replace(
      /^oidc-provider WARNING: a quick start development-only in-memory adapter.*\n/m,
      '',
    )
    .trim()
) {
  console.log(`(IdP stderr)\n${stderr}`);
}
console.log(failures ? `FAILED: ${failures} check(s)` : 'ALL PASSED');
process.exit(failures ? 1 : 0);
