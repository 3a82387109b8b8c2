import fs from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ROLES, type Role } from '../../domain/actor/actor.js';
import type { Principal } from './principals.js';

export interface OidcConfig {
  issuer: string;
  audience: string;
  /** Where the issuer publishes its keys; or a local JWKS file (air-gapped setups, tests). */
  jwksUrl?: string;
  jwksFile?: string;
  rolesClaim: string;
  groupsClaim: string;
  /** The claim listing the teams whose incidents the person acts on (absent: none). */
  teamsClaim?: string;
}

/** Which claims carry Interlock's roles, approver groups and teams. */
export type ClaimNames = Pick<OidcConfig, 'rolesClaim' | 'groupsClaim' | 'teamsClaim'>;

/**
 * The one mapping from verified OIDC claims to a principal, shared by bearer JWTs and browser
 * sign-in (ID tokens), so a person has the same roles whichever way they authenticated.
 * Unknown roles are dropped; a claim may be a list or a space/comma separated string.
 */
export function principalFromClaims(payload: JWTPayload, names: ClaimNames): Principal {
  const claimList = (name: string) => {
    const value = payload[name];
    return Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : typeof value === 'string'
        ? value.split(/[ ,]+/).filter(Boolean)
        : [];
  };
  const roles = claimList(names.rolesClaim).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const name =
    typeof payload.name === 'string'
      ? payload.name
      : typeof payload.preferred_username === 'string'
        ? payload.preferred_username
        : payload.sub!;
  return {
    id: payload.sub!,
    name,
    roles,
    groups: claimList(names.groupsClaim),
    teams: claimList(names.teamsClaim ?? 'teams'),
  };
}

export type JwtOutcome = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * Bearer JWTs from an OIDC provider, verified with `jose` (signature against the issuer's JWKS,
 * issuer, audience, expiry, not-before; asymmetric algorithms only, so `none` and HMAC-with-the-
 * public-key tricks are refused). Roles and groups come from configurable claims.
 */
export function createJwtVerifier(config: OidcConfig) {
  const keys: JWTVerifyGetKey = config.jwksFile
    ? createLocalJWKSet(JSON.parse(fs.readFileSync(config.jwksFile, 'utf8')))
    : createRemoteJWKSet(new URL(config.jwksUrl!), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  return async function verify(token: string): Promise<JwtOutcome> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        clockTolerance: 30,
        requiredClaims: ['sub', 'exp'],
      });
      return { ok: true, principal: principalFromClaims(payload, config) };
    } catch (err) {
      // The reason goes to the caller as a 401 message: say what is wrong, never echo the token.
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'the token has expired' };
      if (err instanceof errors.JWTClaimValidationFailed)
        return { ok: false, reason: `the token's ${err.claim} claim is not accepted` };
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
        return { ok: false, reason: 'the token signature is not valid' };
      if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
        return { ok: false, reason: 'the token algorithm is not accepted' };
      if (err instanceof errors.JWKSTimeout)
        return { ok: false, reason: 'the identity provider keys could not be fetched' };
      return { ok: false, reason: 'the token is not a valid JWT' };
    }
  };
}
export type JwtVerifier = ReturnType<typeof createJwtVerifier>;
