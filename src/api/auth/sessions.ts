import { randomBytes } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import type { Principal } from './principals.js';
import { cookieValue, SessionKeys } from './sealed-cookie.js';

export const SESSION_COOKIE = 'interlock_session';
export const SESSION_SECONDS = 8 * 3600;

export interface BrowserSession {
  id: string;
  principal: Principal;
  /** The token forms posted with this session must carry (field `csrf`). */
  csrf: string;
}

/**
 * Browser sessions: a sealed cookie (no server state, so any gateway instance reads it), started
 * by a sign-in (OIDC, or a token on the console in development), read by pages that opt in, never
 * by the JSON API (cookies ride along on cross-site requests; bearer tokens do not).
 */
export function createSessions(secret: string, secure: boolean) {
  const keys = new SessionKeys(secret);
  const options: CookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/' };
  const now = () => Math.floor(Date.now() / 1000);
  return {
    keys,
    async read(req: Request): Promise<BrowserSession | undefined> {
      const claims = await keys.unseal('session', cookieValue(req.get('cookie'), SESSION_COOKIE));
      const principal = claims?.p as Principal | undefined;
      if (typeof claims?.sid !== 'string' || typeof principal?.id !== 'string') return undefined;
      return { id: claims.sid, principal, csrf: keys.csrfToken(claims.sid) };
    },
    async start(res: Response, principal: Principal): Promise<void> {
      const sid = randomBytes(18).toString('base64url');
      const sealed = await keys.seal('session', { sid, p: principal }, now() + SESSION_SECONDS);
      res.cookie(SESSION_COOKIE, sealed, { ...options, maxAge: SESSION_SECONDS * 1000 });
    },
    end(res: Response): void {
      res.clearCookie(SESSION_COOKIE, options);
    },
    /** Constant-time check of a posted CSRF token against the session it claims to belong to. */
    csrfMatches: (session: BrowserSession, token: unknown) => keys.csrfMatches(session.id, token),
  };
}
export type Sessions = ReturnType<typeof createSessions>;
