import type { JwtVerifier } from './jwt.js';
import type { Principal, PrincipalDirectory } from './principals.js';

export type AuthOutcome = { ok: true; principal: Principal; via: 'token' | 'jwt' } | { ok: false; reason: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** One answer to "who is this bearer?", whether the token is a static one or an OIDC JWT. */
export function createAuthenticator(directory: PrincipalDirectory, jwt?: JwtVerifier) {
  return async function authenticate(token: string): Promise<AuthOutcome> {
    if (jwt && JWT_SHAPE.test(token)) {
      const outcome = await jwt(token);
      return outcome.ok ? { ok: true, principal: outcome.principal, via: 'jwt' } : outcome;
    }
    const principal = directory.authenticate(token);
    return principal ? { ok: true, principal, via: 'token' } : { ok: false, reason: 'the bearer token is not valid' };
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
