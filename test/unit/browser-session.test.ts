import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/api/auth/return-to.js';
import { cookieValue, SessionKeys } from '../../src/api/auth/sealed-cookie.js';
import { signInSettings } from '../../src/api/auth/sign-in-settings.js';
import { ConfigError } from '../../src/config/env.js';

const SECRET = 'a-session-secret-of-at-least-32-bytes!';
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

describe('sealed cookies', () => {
  const keys = new SessionKeys(SECRET);

  it('gives back what was sealed, and nothing readable in the cookie itself', async () => {
    const sealed = await keys.seal('session', { sid: 's1', p: { id: 'dana' } }, inAMinute());
    expect(sealed).not.toContain('dana');
    expect(await keys.unseal('session', sealed)).toMatchObject({ sid: 's1', p: { id: 'dana' } });
  });

  it('treats a changed character, another secret, another purpose or an expired cookie as none', async () => {
    const sealed = await keys.seal('session', { sid: 's1' }, inAMinute());
    for (let i = 0; i < sealed.length; i += 7) {
      // The last character of a base64url segment may carry unused bits: changing those changes
      // no byte, so it is not tampering (and is rightly accepted).
      if (sealed[i] === '.' || sealed[i + 1] === '.' || i === sealed.length - 1) continue;
      const changed = `${sealed.slice(0, i)}${sealed[i] === 'A' ? 'B' : 'A'}${sealed.slice(i + 1)}`;
      expect(await keys.unseal('session', changed), `changed at ${i}`).toBeUndefined();
    }
    expect(await new SessionKeys(`${SECRET}-other`).unseal('session', sealed)).toBeUndefined();
    // A login cookie (which the browser also holds) never passes for a session, nor the reverse.
    expect(await keys.unseal('login', sealed)).toBeUndefined();
    const login = await keys.seal('login', { state: 'x' }, inAMinute());
    expect(await keys.unseal('session', login)).toBeUndefined();
    const expired = await keys.seal('session', { sid: 's1' }, Math.floor(Date.now() / 1000) - 1);
    expect(await keys.unseal('session', expired)).toBeUndefined();
    expect(await keys.unseal('session', undefined)).toBeUndefined();
    expect(await keys.unseal('session', 'not.a.jwe.at.all')).toBeUndefined();
  });

  it('binds CSRF tokens to one session and refuses anything else', () => {
    const token = keys.csrfToken('s1');
    expect(keys.csrfMatches('s1', token)).toBe(true);
    expect(keys.csrfMatches('s2', token)).toBe(false);
    expect(new SessionKeys(`${SECRET}-other`).csrfMatches('s1', token)).toBe(false);
    for (const wrong of [undefined, '', token.slice(1), `${token}x`, ['a'], 42])
      expect(keys.csrfMatches('s1', wrong)).toBe(false);
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => new SessionKeys('short')).toThrow(/32 bytes/);
  });

  it('reads one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; interlock_session=abc.def; b=2', 'interlock_session')).toBe('abc.def');
    expect(cookieValue('xinterlock_session=abc', 'interlock_session')).toBeUndefined();
    expect(cookieValue(undefined, 'interlock_session')).toBeUndefined();
  });
});

describe('returnTo', () => {
  it.each([
    ['/v1/integrations/email/decisions/abc?decision=approve', '/v1/integrations/email/decisions/abc?decision=approve'],
    ['/', '/'],
    ['/console/incidents/am-1', '/console/incidents/am-1'],
  ])('keeps the path %j', (given, kept) => expect(safeReturnTo(given)).toBe(kept));

  it('refuses other sites, tricks browsers resolve to other sites, and non-paths', () => {
    for (const given of [
      '//evil.example',
      '//evil.example/path',
      'https://evil.example/',
      'http:/evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      'javascript:alert(1)',
      'evil.example',
      '',
      undefined,
      ['/a', '/b'],
      `/${'a'.repeat(3000)}`,
    ])
      expect(safeReturnTo(given), String(JSON.stringify(given)).slice(0, 40)).toBeUndefined();
  });
});

describe('sign-in settings', () => {
  const claims = { rolesClaim: 'roles', groupsClaim: 'groups', teamsClaim: 'teams' };
  const full = {
    OIDC_ISSUER: 'https://idp.example',
    OIDC_CLIENT_ID: 'interlock',
    SESSION_SECRET: SECRET,
    PUBLIC_GATEWAY_URL: 'https://interlock.example',
  };

  it('is off when none of its variables is set, even with an issuer for bearer JWTs', () => {
    expect(signInSettings({ OIDC_ISSUER: 'https://idp.example' }, claims)).toBeUndefined();
    // A session secret alone serves the console's token sign-in, not OIDC.
    expect(signInSettings({ SESSION_SECRET: SECRET }, claims)).toBeUndefined();
  });

  it('is on with issuer, client id, session secret and public URL; the client secret is optional', () => {
    expect(signInSettings(full, claims)).toMatchObject({ clientId: 'interlock', clientSecret: undefined });
    const fromFile = signInSettings(
      { ...full, SESSION_SECRET: undefined, SESSION_SECRET_FILE: '/s', OIDC_CLIENT_SECRET_FILE: '/c' },
      claims,
      (file) => Buffer.from(file === '/s' ? `${SECRET}\n` : 'client-secret\n'),
    );
    expect(fromFile).toMatchObject({ sessionSecret: SECRET, clientSecret: 'client-secret' });
  });

  it.each([
    ['OIDC_ISSUER', { ...full, OIDC_ISSUER: undefined }],
    ['OIDC_CLIENT_ID', { ...full, OIDC_CLIENT_ID: undefined, OIDC_CLIENT_SECRET: 'x' }],
    ['SESSION_SECRET', { ...full, SESSION_SECRET: undefined }],
    ['PUBLIC_GATEWAY_URL', { ...full, PUBLIC_GATEWAY_URL: undefined }],
    ['SESSION_SECRET: must be at least 32 bytes', { ...full, SESSION_SECRET: 'short' }],
    ['OIDC_CLIENT_SECRET_FILE: set either', { ...full, OIDC_CLIENT_SECRET: 'x', OIDC_CLIENT_SECRET_FILE: '/c' }],
  ])('refuses a partial setup, naming %s (never a value)', (named, env) => {
    let error: unknown;
    try {
      signInSettings(env, claims, () => Buffer.from('x'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(named);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
