import { timingSafeEqual } from 'node:crypto';
import express, { type CookieOptions, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { ROUTES } from '../contract.js';
import { messagePage } from '../routes/email-pages.js';
import { principalFromClaims, type ClaimNames } from './jwt.js';
import { createOidcClient, type PendingLogin } from './oidc-client.js';
import type { Principal } from './principals.js';
import { safeReturnTo } from './return-to.js';
import { cookieValue } from './sealed-cookie.js';
import { createSessions, SESSION_COOKIE, type BrowserSession } from './sessions.js';

export { SESSION_COOKIE };
export const LOGIN_COOKIE = 'interlock_login';
const LOGIN_SECONDS = 600;

export interface BrowserSignInConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** At least 32 bytes; seals the cookies and keys the CSRF tokens. */
  sessionSecret: string;
  /** Where browsers reach this gateway; the redirect URI is `<this>/v1/auth/callback`. */
  publicGatewayUrl: string;
  claims: ClaimNames;
  scope?: string;
}

export type { BrowserSession };

class SignInFailure extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Browser sign-in with the organisation's OpenID Provider (authorization code + PKCE, state and
 * nonce), for pages a person opens in a browser, where no bearer header can be sent: email
 * decision pages now, the web console next. A session is a sealed cookie (no server state, so any
 * gateway behind the load balancer reads it). It authenticates only pages that opt in through
 * `session()`, never the JSON API: cookies ride along on cross-site requests, bearer tokens do not.
 */
export function createBrowserSignIn(config: BrowserSignInConfig, log: Logger) {
  const sessions = createSessions(config.sessionSecret, config.publicGatewayUrl.startsWith('https:'));
  const { keys } = sessions;
  const base = config.publicGatewayUrl.replace(/\/+$/, '');
  const provider = createOidcClient({
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    redirectUri: `${base}${ROUTES.signInCallback.path}`,
    scope: config.scope ?? 'openid profile email',
  });
  const cookie = (path: string, maxAgeSeconds: number): CookieOptions => ({
    httpOnly: true,
    sameSite: 'lax',
    secure: base.startsWith('https:'),
    path,
    maxAge: maxAgeSeconds * 1000,
  });
  // Sent back only to the callback: nothing else needs the verifier.
  const loginCookie = cookie('/v1/auth', LOGIN_SECONDS);
  const clear = ({ maxAge: _drop, ...options }: CookieOptions) => options;

  const session = (req: Request) => sessions.read(req);

  async function login(req: Request, res: Response) {
    const returnTo = safeReturnTo(req.query.returnTo);
    if (!returnTo)
      throw new SignInFailure(400, 'Not signed in', 'returnTo must be a path on this gateway (starting with one /).');
    const { url, pending } = await provider.begin().catch((err: unknown) => {
      log.warn({ err: brief(err) }, 'sign-in: the identity provider could not be reached');
      throw new SignInFailure(503, 'Sign-in unavailable', 'The identity provider cannot be reached. Try again soon.');
    });
    const sealed = await keys.seal('login', { ...pending, returnTo }, now() + LOGIN_SECONDS);
    res.cookie(LOGIN_COOKIE, sealed, loginCookie).redirect(302, url.href);
  }

  async function callback(req: Request, res: Response) {
    const started = pendingLogin(await keys.unseal('login', cookieValue(req.get('cookie'), LOGIN_COOKIE)));
    // Whatever happens next, this attempt is over: its verifier must not be tried twice.
    res.clearCookie(LOGIN_COOKIE, clear(loginCookie));
    if (!started)
      throw new SignInFailure(
        400,
        'Sign-in not completed',
        'No sign-in was started in this browser, or it took longer than 10 minutes. Start again from the page you came from.',
      );
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    const error = query.get('error');
    if (error)
      throw new SignInFailure(
        401,
        'Not signed in',
        `The identity provider did not sign you in (${error.replace(/[^\w.-]/g, '').slice(0, 64)}).`,
      );
    if (!sameText(query.get('state'), started.state))
      throw new SignInFailure(400, 'Sign-in not completed', 'This answer does not belong to the sign-in started here.');
    let claims;
    try {
      claims = await provider.finish(query, started);
    } catch (err) {
      log.warn({ err: brief(err) }, 'sign-in: the identity provider answer was refused');
      throw new SignInFailure(401, 'Not signed in', "The identity provider's answer was not accepted. Start again.");
    }
    const principal = principalFromClaims(claims, config.claims);
    await sessions.start(res, principal);
    log.info({ person: principal.id }, 'signed in');
    res.redirect(302, safeReturnTo(started.returnTo) ?? '/');
  }

  async function logout(req: Request, res: Response) {
    const current = await session(req);
    // Without this check any site could sign people out with a hidden form.
    if (current && !keys.csrfMatches(current.id, (req.body as Record<string, unknown> | undefined)?.csrf))
      throw new SignInFailure(403, 'Not signed out', 'The form was not sent from an Interlock page. Reload and retry.');
    sessions.end(res);
    res.status(200).type('html').send(messagePage('Signed out', 'You are signed out of Interlock in this browser.'));
  }

  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  return {
    sessions,
    session,
    /** The principal of a valid session cookie, or undefined (tampered, expired, absent). */
    sessionPrincipal: async (req: Request): Promise<Principal | undefined> => (await session(req))?.principal,
    /** Constant-time check of a posted CSRF token against the session it claims to belong to. */
    csrfMatches: (current: BrowserSession, token: unknown) => keys.csrfMatches(current.id, token),
    loginHref: (returnTo: string) => `${ROUTES.signIn.path}?returnTo=${encodeURIComponent(returnTo)}`,
    routes(app: Express, limit: RequestHandler) {
      app[ROUTES.signIn.method](ROUTES.signIn.path, limit, page(log, login));
      app[ROUTES.signInCallback.method](ROUTES.signInCallback.path, limit, page(log, callback));
      app[ROUTES.signOut.method](ROUTES.signOut.path, limit, form, page(log, logout));
    },
  };
}
export type BrowserSignIn = ReturnType<typeof createBrowserSignIn>;

const now = () => Math.floor(Date.now() / 1000);

/** A login cookie's claims, when they are all there (sealed by us, but shapes are checked, not assumed). */
function pendingLogin(claims: Record<string, unknown> | undefined): (PendingLogin & { returnTo: string }) | undefined {
  const { verifier, state, nonce, returnTo } = claims ?? {};
  return [verifier, state, nonce, returnTo].every((v) => typeof v === 'string')
    ? ({ verifier, state, nonce, returnTo } as PendingLogin & { returnTo: string })
    : undefined;
}

function sameText(given: string | null, expected: unknown): boolean {
  if (typeof expected !== 'string' || given === null) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What may be logged about a failure: its kind, never a token, code or cookie. */
function brief(err: unknown) {
  const e = err as { name?: string; code?: string; message?: string };
  return { name: e?.name, code: e?.code, message: e?.message?.slice(0, 200) };
}

/** Every outcome is a small page; the callback URL holds a code, so no caching, no referrer. */
function page(log: Logger, handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res) => {
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    try {
      await handler(req, res);
    } catch (err) {
      if (err instanceof SignInFailure)
        return void res.status(err.status).type('html').send(messagePage(err.title, err.message));
      log.error({ err: brief(err), route: req.route?.path }, 'sign-in failed');
      res.status(500).type('html').send(messagePage('Something went wrong', 'You are not signed in. Try again.'));
    }
  };
}
