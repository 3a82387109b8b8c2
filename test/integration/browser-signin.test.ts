import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { createBrowserSignIn } from '../../src/api/auth/browser-session.js';
import { freePort } from '../support/net.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionKeys } from '../../src/api/auth/sealed-cookie.js';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { CookieBrowser, type Hop } from '../support/cookie-browser.js';
import { PEOPLE, restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.js';
import { responses } from '../support/responses.js';
import { startSmtpInbox, type SmtpInbox } from '../support/smtp-inbox.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Browser sign-in, end to end with real parts: a real OpenID Provider (oidc-provider), the
 * gateway's code flow with PKCE, the sealed session cookie, and an email decision for a tier that
 * needs the person signed in (EMAIL_SIGNIN_TIERS), decided from a "browser" that only has cookies.
 */
let target: TargetServer;
let inbox: SmtpInbox;
let issuer: OidcIssuer;
let h: Harness;
let r: ReturnType<typeof responses>;
const sessionSecret = randomBytes(48).toString('base64url');

const day = (people: string[]) => ({ name: people.join('-'), start: '2026-01-01T00:00', handoff: 'daily', people });

beforeAll(async () => {
  target = await startTargetServer();
  inbox = await startSmtpInbox();
  issuer = await startOidcIssuer();
  h = await startHarness({
    playbooks: {
      'dba.yaml': restartPlaybook(target.url, { alertname: 'DbaOnly', tier: 'sme:postgres' }).replace(
        'id: restart-replica\n',
        'id: dba-only\n',
      ),
    },
    onCall: rotationFileSchema.parse({ tiers: { 'sme:postgres': { timeZone: 'UTC', layers: [day(['dana'])] } } }),
    email: { smtpUrl: inbox.url, signInTiers: ['sme:postgres'] },
    signIn: { issuer: issuer.url, clientId: issuer.clientId, clientSecret: issuer.clientSecret, sessionSecret },
    console: true,
  });
  await issuer.register(`${h.baseUrl}/v1/auth/callback`);
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await issuer?.close();
  await inbox?.close();
  await target?.close();
});

const LINK = /\/v1\/integrations\/email\/decisions\/([A-Za-z0-9_-]{43,})/;
/** A pending sme:postgres request and the path of the link dana was mailed for it. */
async function danasLink(label: string): Promise<{ id: string; path: string }> {
  const id = await r.open(label, { labels: { incident_tag: `${label}-tag`, alertname: 'DbaOnly' } });
  const path = await vi.waitFor(
    () => {
      const mail = inbox.received.find(
        (m) => m.parsed.headers.get('x-interlock-incident') === id && LINK.test(m.parsed.text ?? ''),
      );
      expect(mail).toBeDefined();
      return `/v1/integrations/email/decisions/${LINK.exec(mail!.parsed.text!)![1]}`;
    },
    // The whole suite runs in parallel on two cores: the first mail can take more than 10 s there.
    { timeout: 30_000, interval: 50 },
  );
  return { id, path };
}
const unescape = (html: string) => html.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
const loginHref = (page: string) => unescape(/<a href="(\/v1\/auth\/login\?[^"]+)"/.exec(page)?.[1] ?? '');
const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1];
const isCallback = (url: string) => url.startsWith(`${h.baseUrl}/v1/auth/callback`);

/** Sign `person` in from `browser`, starting at the page's login link; returns every hop. */
async function signIn(browser: CookieBrowser, person: Person, returnTo: string): Promise<Hop[]> {
  issuer.signInAs(person);
  return browser.follow(`${h.baseUrl}/v1/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
}
async function audited(id: string, predicate: (events: any[]) => boolean): Promise<any[]> {
  return vi.waitFor(
    async () => {
      const res = await h.request('GET', `/v1/audit/search?incident=${id}&limit=200`, { as: 'audrey' });
      expect(predicate(res.body.events)).toBe(true);
      return res.body.events as any[];
    },
    { timeout: 15_000, interval: 200 },
  );
}

describe('browser sign-in for email decisions', () => {
  const dana = new CookieBrowser();

  it('asks to sign in, signs dana in at the provider, and decides with her session and its CSRF token', async () => {
    const { id, path } = await danasLink('full');
    const before = await dana.request('GET', `${h.baseUrl}${path}?decision=approve`);
    expect(before.status).toBe(200);
    expect(before.body).toContain('Sign in as Dana Dba to decide');
    expect(before.body).not.toContain('<form');
    const href = loginHref(before.body);
    expect(href).toBe(`/v1/auth/login?returnTo=${encodeURIComponent(`${path}?decision=approve`)}`);

    issuer.signInAs('dana');
    const hops = await dana.follow(`${h.baseUrl}${href}`);
    // Gateway → provider (PKCE S256, state, nonce) → … → gateway callback → back to the page.
    const toProvider = new URL(hops[0]!.headers.get('location')!);
    expect(hops[0]!.status).toBe(302);
    expect(toProvider.origin).toBe(issuer.url);
    expect(toProvider.searchParams.get('code_challenge_method')).toBe('S256');
    for (const p of ['code_challenge', 'state', 'nonce']) expect(toProvider.searchParams.get(p)).toBeTruthy();
    expect(dana.setCookieLines.get('interlock_login')).toMatch(/HttpOnly/);
    const callback = hops.find((x) => isCallback(x.url))!;
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe(`${path}?decision=approve`);
    const line = dana.setCookieLines.get('interlock_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Max-Age=28800/);
    expect(line).not.toMatch(/Secure/); // the harness gateway is http://
    expect(dana.cookie('interlock_login')).toBeUndefined();
    // The ID token's claims became the principal exactly as a bearer JWT's would.
    const sealed = await new SessionKeys(sessionSecret).unseal('session', dana.cookie('interlock_session'));
    expect(sealed?.p).toEqual({
      id: 'dana',
      name: 'Dana Dba',
      roles: ['responder', 'approver'],
      groups: ['sme:postgres'],
      teams: [],
    });

    const page = hops.at(-1)!;
    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed in as Dana Dba');
    const csrf = csrfOf(page.body);
    expect(csrf).toBeTruthy();
    const decided = await dana.request('POST', `${h.baseUrl}${path}`, {
      decision: 'approve',
      reason: 'dba signed in and checked',
      csrf: csrf!,
    });
    expect(decided.status).toBe(200);
    expect(decided.body).toContain('Decision recorded');
    expect((await r.result(id)).phase).toBe('completed');
    const events = await audited(id, (e) => e.some((x) => x.type === 'approval.granted'));
    expect(events.find((x) => x.type === 'approval.granted')).toMatchObject({
      actor: { id: 'dana', channel: 'email', verified: true },
    });
  });

  it('refuses a POST with a missing or wrong CSRF token (403, audited) and leaves the link usable', async () => {
    const { id, path } = await danasLink('csrf');
    const form = { decision: 'reject', reason: 'no thanks' };
    expect((await dana.request('POST', `${h.baseUrl}${path}`, form)).status).toBe(403);
    const wrong = await dana.request('POST', `${h.baseUrl}${path}`, { ...form, csrf: 'A'.repeat(43) });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('CSRF');
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    await audited(id, (e) => e.filter((x) => x.type === 'input.rejected').length === 2);
    const page = await dana.request('GET', `${h.baseUrl}${path}`);
    const ok = await dana.request('POST', `${h.baseUrl}${path}`, { ...form, csrf: csrfOf(page.body)! });
    expect(ok.status).toBe(200);
  });

  it('does not let the session cookie authenticate the JSON API', async () => {
    const res = await dana.request('GET', `${h.baseUrl}/v1/incidents?limit=1`);
    expect(res.status).toBe(401);
  });

  it('treats a tampered or expired session as no session', async () => {
    const { id, path } = await danasLink('tamper');
    const real = dana.cookie('interlock_session')!;
    const csrf = csrfOf((await dana.request('GET', `${h.baseUrl}${path}`)).body)!;
    const forged = new CookieBrowser();
    // One character changed in the sealed value: AES-GCM's tag no longer matches.
    const at = real.length - 5;
    forged.setCookie('interlock_session', `${real.slice(0, at)}${real[at] === 'A' ? 'B' : 'A'}${real.slice(at + 1)}`);
    expect((await forged.request('GET', `${h.baseUrl}${path}`)).body).toContain('Sign in as Dana Dba');
    const tampered = await forged.request('POST', `${h.baseUrl}${path}`, {
      decision: 'approve',
      reason: 'x-x-x',
      csrf,
    });
    expect(tampered.status).toBe(401);

    // Sealed with the right secret, with the right CSRF token, but past its expiry.
    const expired = new CookieBrowser();
    const keys = new SessionKeys(sessionSecret);
    const principal = { ...PEOPLE.dana, roles: [...PEOPLE.dana.roles], groups: [...PEOPLE.dana.groups], teams: [] };
    const sid = 'expired-session-id';
    expired.setCookie(
      'interlock_session',
      await keys.seal('session', { sid, p: principal }, Math.floor(Date.now() / 1000) - 60),
    );
    const late = await expired.request('POST', `${h.baseUrl}${path}`, {
      decision: 'approve',
      reason: 'a session from yesterday',
      csrf: keys.csrfToken(sid),
    });
    expect(late.status).toBe(401);
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    await audited(id, (e) => e.filter((x) => x.type === 'input.rejected').length === 2);
    const ok = await dana.request('POST', `${h.baseUrl}${path}`, { decision: 'reject', reason: 'cleanup', csrf });
    expect(ok.status).toBe(200);
  });

  it("refuses erin's session on dana's link (401, audited) and says who is signed in", async () => {
    const { id, path } = await danasLink('erin');
    const erin = new CookieBrowser();
    const hops = await signIn(erin, 'erin', path);
    const page = hops.at(-1)!;
    expect(page.status).toBe(200);
    expect(page.body).toContain('You are signed in as Erin Approver, but this link was sent to Dana Dba');
    expect(page.body).not.toContain('<form');
    const res = await erin.request('POST', `${h.baseUrl}${path}`, {
      decision: 'approve',
      reason: 'erin tries',
      // Even a well-formed token (here: one for some session) does not make erin dana.
      csrf: new SessionKeys(sessionSecret).csrfToken('whatever'),
    });
    expect(res.status).toBe(401);
    expect(res.body).toContain('signed in as Erin Approver');
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    const events = await audited(id, (e) => e.some((x) => x.type === 'input.rejected'));
    expect(events.find((x) => x.type === 'input.rejected')).toMatchObject({ actor: { id: 'dana', channel: 'email' } });
    expect(events.find((x) => x.type === 'input.rejected').summary).toMatch(/signed in as Erin Approver/);
  });

  it('signs out only with the CSRF token of the session, then asks to sign in again', async () => {
    const { path } = await danasLink('logout');
    const csrf = csrfOf((await dana.request('GET', `${h.baseUrl}${path}`)).body)!;
    expect((await dana.request('POST', `${h.baseUrl}/v1/auth/logout`, {})).status).toBe(403);
    expect(dana.cookie('interlock_session')).toBeDefined();
    const out = await dana.request('POST', `${h.baseUrl}/v1/auth/logout`, { csrf });
    expect(out.status).toBe(200);
    expect(out.body).toContain('Signed out');
    expect(dana.cookie('interlock_session')).toBeUndefined();
    expect((await dana.request('GET', `${h.baseUrl}${path}`)).body).toContain('Sign in as Dana Dba');
  });
});

describe('sign-in attacks', () => {
  it.each([['//evil.example/x'], ['https://evil.example/'], ['/\\evil.example'], ['evil'], ['']])(
    'refuses returnTo %j with 400 (no open redirect)',
    async (returnTo) => {
      const res = await new CookieBrowser().request(
        'GET',
        `${h.baseUrl}/v1/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.body).toContain('returnTo must be a path on this gateway');
    },
  );

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const browser = new CookieBrowser();
    issuer.signInAs('dana');
    const hops = await browser.follow(`${h.baseUrl}/v1/auth/login?returnTo=%2F`, isCallback);
    const callback = new URL(hops.at(-1)!.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    callback.searchParams.set('state', 'not-the-state');
    const res = await browser.request('GET', callback.href);
    expect(res.status).toBe(400);
    expect(res.body).toContain('does not belong to the sign-in started here');
    expect(browser.cookie('interlock_session')).toBeUndefined();
  });

  it('refuses a callback in a browser that never started a sign-in (no login cookie)', async () => {
    issuer.signInAs('dana');
    const hops = await new CookieBrowser().follow(`${h.baseUrl}/v1/auth/login?returnTo=%2F`, isCallback);
    // A valid code and state, delivered to another browser (login CSRF, a stolen redirect).
    const other = new CookieBrowser();
    const res = await other.request('GET', hops.at(-1)!.url);
    expect(res.status).toBe(400);
    expect(res.body).toContain('No sign-in was started in this browser');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    expect(other.cookie('interlock_session')).toBeUndefined();
  });

  it('answers 401 when the provider refuses the person', async () => {
    const browser = new CookieBrowser();
    const hops = await signIn(browser, 'refuse' as Person, '/');
    expect(hops.at(-1)!.status).toBe(401);
    expect(hops.at(-1)!.body).toContain('access_denied');
    expect(browser.cookie('interlock_session')).toBeUndefined();
  });
});

describe('a public client (no secret: PKCE alone)', () => {
  it('signs in with the sign-in routes on their own (no Temporal needed)', async () => {
    const publicIssuer = await startOidcIssuer({ publicClient: true });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const signInOnly = createBrowserSignIn(
      {
        issuer: publicIssuer.url,
        clientId: publicIssuer.clientId,
        sessionSecret,
        publicGatewayUrl: base,
        claims: { rolesClaim: 'roles', groupsClaim: 'groups', teamsClaim: 'teams' },
      },
      pino({ level: 'silent' }),
    );
    const app = express();
    signInOnly.routes(app, (_req, _res, next) => next());
    const server = app.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      expect((server.address() as AddressInfo).port).toBe(port);
      await publicIssuer.register(`${base}/v1/auth/callback`);
      publicIssuer.signInAs('lee');
      const browser = new CookieBrowser();
      const hops = await browser.follow(`${base}/v1/auth/login?returnTo=%2Fconsole`);
      expect(hops.at(-1)!.url).toBe(`${base}/console`); // the returnTo, reached after the callback
      const sealed = await new SessionKeys(sessionSecret).unseal('session', browser.cookie('interlock_session'));
      expect(sealed?.p).toMatchObject({ id: 'lee', roles: ['responder', 'approver'], groups: ['lead'], teams: ['*'] });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await publicIssuer.close();
    }
  });
});

describe('browser sign-in for the web console', () => {
  it('links the console sign-in to the provider and comes back to the console as the signed-in person', async () => {
    const browser = new CookieBrowser();
    const first = await browser.follow(`${h.baseUrl}/console`);
    const page = first.at(-1)!;
    expect(page.url).toContain('/console/sign-in');
    const href = loginHref(page.body);
    expect(href).toBe(`/v1/auth/login?returnTo=${encodeURIComponent('/console')}`);
    issuer.signInAs('lee');
    const hops = await browser.follow(`${h.baseUrl}${href}`);
    const last = hops.at(-1)!;
    expect(last.url).toBe(`${h.baseUrl}/console`);
    expect(last.status).toBe(200);
    expect(last.body).toContain('Lee Lead');
    expect(last.body).toContain('<h1>Incidents</h1>');
  });
});
