/*
 * Test and benchmark helper: performs the whole OIDC authorization-code sign-in
 * of the portal over plain HTTP, the way a browser would — backend /start, the
 * identity provider's login form (field `email`), the redirect back to the
 * backend handler — and returns the Backstage token it issues. No part of the
 * identity provider is mocked.
 */

/** Cookies per origin; paths are ignored (fine for these two servers). */
class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  store(url: string, res: Response) {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '')
        jar.delete(name);
      else jar.set(name, value);
    }
    this.jars.set(origin, jar);
  }

  header(url: string): string {
    const jar = this.jars.get(new URL(url).origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }
}

async function request(jar: CookieJar, url: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, res);
  return res;
}

/** The outcome of a sign-in: a Backstage token, or the error the portal showed. */
export type SignInResult =
  | {
      ok: true;
      token: string;
      userEntityRef: string;
      ownershipEntityRefs: string[];
    }
  | { ok: false; error: string };

/**
 * Signs `email` in through the backend's `oidc` provider and the identity
 * provider it is configured with.
 */
export async function signInThroughOidc(options: {
  backendUrl: string;
  appOrigin: string;
  email: string;
}): Promise<SignInResult> {
  const { backendUrl, appOrigin, email } = options;
  const jar = new CookieJar();
  const start =
    `${backendUrl}/api/auth/oidc/start?env=development&flow=popup` +
    `&scope=${encodeURIComponent('openid profile email offline_access')}` +
    `&origin=${encodeURIComponent(appOrigin)}`;
  let res = await request(jar, start);
  let url = start;
  const handler = `${backendUrl}/api/auth/oidc/handler/frame`;
  for (let hops = 0; hops < 20; hops++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).toString();
      res = await request(jar, url);
      continue;
    }
    if (url.startsWith(handler)) {
      return parseHandlerResponse(await res.text());
    }
    const html = await res.text();
    if (res.status === 200 && /name="email"/.test(html)) {
      // the identity provider's login form: submit the email
      const action =
        /<form[^>]*method="post"[^>]*action="([^"]*)"/i.exec(html)?.[1] ??
        /<form[^>]*action="([^"]*)"[^>]*method="post"/i.exec(html)?.[1] ??
        url;
      url = new URL(action.replace(/&amp;/g, '&'), url).toString();
      res = await request(jar, url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      });
      continue;
    }
    throw new Error(
      `Unexpected response ${res.status} at ${url}: ${html.slice(0, 300)}`,
    );
  }
  throw new Error('Too many redirects in the sign-in flow');
}

function parseHandlerResponse(html: string): SignInResult {
  const encoded = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(
    html,
  )?.[1];
  if (!encoded) {
    throw new Error(
      `The backend handler did not answer with an auth response: ${html.slice(
        0,
        300,
      )}`,
    );
  }
  const message = JSON.parse(decodeURIComponent(encoded));
  if (
    message.type === 'authorization_response' &&
    message.response?.backstageIdentity
  ) {
    const identity = message.response.backstageIdentity;
    return {
      ok: true,
      token: identity.token,
      userEntityRef: identity.identity.userEntityRef,
      ownershipEntityRefs: identity.identity.ownershipEntityRefs,
    };
  }
  return {
    ok: false,
    error: message.error?.message ?? JSON.stringify(message),
  };
}

/**
 * Signs each email in through the whole OIDC flow; their Backstage tokens
 * by email. Throws, naming the user, when one is refused.
 */
export async function signInAll(
  portal: { backendUrl: string; appOrigin: string },
  emails: string[],
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const email of emails) {
    const result = await signInThroughOidc({ ...portal, email });
    if (!result.ok) throw new Error(`${email}: ${result.error}`);
    tokens.set(email, result.token);
  }
  return tokens;
}
