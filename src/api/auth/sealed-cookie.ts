import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';

/**
 * Cookies the gateway hands to a browser and must get back unchanged: sealed with AES-256-GCM
 * (a JWE, `dir`) under a key derived from SESSION_SECRET. Encryption, not only a MAC, because
 * the login cookie carries the PKCE verifier, and a session's roles are nobody else's business.
 * Each purpose gets its own derived key, so a login cookie can never pass for a session.
 */
export type CookiePurpose = 'login' | 'session' | 'csrf';

export const MIN_SESSION_SECRET_BYTES = 32;

export class SessionKeys {
  private readonly keys: Record<CookiePurpose, Uint8Array>;

  constructor(secret: string) {
    if (Buffer.byteLength(secret, 'utf8') < MIN_SESSION_SECRET_BYTES)
      throw new Error(`the session secret must be at least ${MIN_SESSION_SECRET_BYTES} bytes`);
    const derive = (purpose: CookiePurpose) =>
      new Uint8Array(hkdfSync('sha256', secret, 'interlock browser sign-in', `interlock ${purpose} v1`, 32));
    this.keys = { login: derive('login'), session: derive('session'), csrf: derive('csrf') };
  }

  /** Seal `claims` until `expiresAt` (seconds since the epoch). */
  seal(purpose: Exclude<CookiePurpose, 'csrf'>, claims: JWTPayload, expiresAt: number): Promise<string> {
    return new EncryptJWT(claims)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: `interlock-${purpose}` })
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .encrypt(this.keys[purpose]);
  }

  /** The claims of an intact, unexpired cookie of that purpose; undefined for anything else. */
  async unseal(purpose: Exclude<CookiePurpose, 'csrf'>, value: string | undefined): Promise<JWTPayload | undefined> {
    if (!value || value.length > 8192) return undefined;
    try {
      const { payload } = await jwtDecrypt(value, this.keys[purpose], {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        typ: `interlock-${purpose}`,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch {
      // Tampered, sealed with another secret, another purpose, or expired: all mean "no cookie".
      return undefined;
    }
  }

  /** A form token bound to one session: HMAC of its id, so it cannot be reused with another session. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.keys.csrf).update(sessionId).digest('base64url');
  }

  csrfMatches(sessionId: string, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const expected = Buffer.from(this.csrfToken(sessionId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** One cookie's value from the Cookie header (no cookie-parser: two cookies are all we read). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}
