import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createJwtVerifier } from '../../src/api/auth/jwt.js';
import { ROUTES, type RouteContract, type RouteName } from '../../src/api/contract.js';
import type { Role } from '../../src/domain/actor/actor.js';
import { PEOPLE, restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

const ISSUER = 'https://idp.interlock.test/';
const AUDIENCE = 'interlock-gateway';
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  // Our own identity provider keys: tests sign their JWTs, nothing leaves the machine.
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey as CryptoKey;
  otherKey = (await generateKeyPair('RS256')).privateKey as CryptoKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const jwksFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jwks-')), 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  target = await startTargetServer();
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url) },
    jwt: createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksFile,
      rolesClaim: 'roles',
      groupsClaim: 'groups',
    }),
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

function jwt(
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string | number } = {},
) {
  return new SignJWT({ name: 'Jo Oidc', roles: ['responder', 'approver'], groups: ['tier1'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setSubject('jo')
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .sign(opts.key ?? signingKey);
}
const withBearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('OIDC bearer JWTs', () => {
  it('accept a valid token and take roles and groups from its claims; the actor is the token subject', async () => {
    const id = await r.open('jwt', { labels: { incident_tag: 'jwt-1' } });
    const approval = await r.pendingApproval(id);
    const res = await h.request('POST', `/v1/incidents/${id}/approvals/${approval.id}`, {
      ...withBearer(await jwt({})),
      body: { decision: 'approve', reason: 'approved with an OIDC token' },
    });
    expect(res.status).toBe(200);
    expect(res.body.decisions[0].actor).toEqual({ id: 'jo', name: 'Jo Oidc', channel: 'api', verified: true });
  });

  it.each([
    ['signed by another key', () => jwt({}, { key: otherKey }), /signature/],
    ['expired', () => jwt({}, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ['from another issuer', () => jwt({}, { issuer: 'https://evil.test/' }), /iss/],
    ['for another audience', () => jwt({}, { audience: 'someone-else' }), /aud/],
    [
      'unsigned (alg none)',
      async () =>
        `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'jo', iss: ISSUER, aud: AUDIENCE, exp: 9e9, roles: ['admin'] })).toString('base64url')}.`,
      /algorithm|not a valid/,
    ],
  ])('refuse a token %s with 401 and a reason', async (_what, make, reason) => {
    const res = await h.request('GET', '/v1/incidents?limit=1', withBearer(await make()));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(reason);
  });

  it('gives a token without roles no access', async () => {
    const res = await h.request('GET', '/v1/incidents?limit=1', withBearer(await jwt({ roles: [] })));
    expect(res.status).toBe(403);
  });
});

describe('who may call what', () => {
  /**
   * What a caller the contract admits gets from each route, for the request sent here: an exact
   * status, never "anything but 403". Writes get deliberately invalid bodies (400 before any
   * workflow hears of them) or target something that does not exist (404/409 from the control
   * workflow), so the matrix changes nothing. Typed and checked against ROUTES: a route added to
   * the contract without an entry here fails to compile and fails the test.
   */
  const ALLOWED: Record<RouteName, { query?: string; body?: unknown; status: number }> = {
    alertmanager: { body: {}, status: 400 },
    grafana: { body: {}, status: 400 },
    pagerduty: { body: {}, status: 400 },
    generic: { body: {}, status: 400 },
    listIncidents: { query: 'limit=1', status: 200 },
    getIncident: { status: 200 },
    decide: { body: { decision: 'maybe' }, status: 400 },
    optOut: { body: { mode: 'sideways' }, status: 400 },
    optIn: { body: {}, status: 400 },
    override: { body: { type: 'skip-step' }, status: 400 },
    note: { body: {}, status: 400 },
    resolve: { body: {}, status: 400 },
    cancel: { body: {}, status: 400 },
    restart: { body: {}, status: 400 },
    settle: { body: { choice: 'again' }, status: 400 },
    auditSearch: { query: 'limit=1', status: 200 },
    auditExport: { query: 'incident=am-000000000000000000000000', status: 200 },
    auditVerify: { query: 'incident=nope', status: 400 },
    analytics: { query: 'groupBy=team', status: 200 },
    timeline: { status: 200 },
    review: { query: 'format=md', status: 200 },
    guardrails: { status: 200 },
    engageKillSwitch: { body: { allowDiagnostics: 'yes' }, status: 400 },
    releaseKillSwitch: { body: { reason: 'matrix: nothing is engaged' }, status: 409 },
    listPauses: { status: 200 },
    addPause: { body: {}, status: 400 },
    removePause: { body: { reason: 'matrix: no such pause' }, status: 404 },
    listRules: { status: 200 },
    addRule: { body: {}, status: 400 },
    removeRule: { body: { reason: 'matrix: no such rule' }, status: 404 },
    listFreezes: { status: 200 },
    addFreeze: { body: {}, status: 400 },
    removeFreeze: { body: { reason: 'matrix: no such freeze' }, status: 404 },
    openapi: { status: 200 },
    healthz: { status: 200 },
    readyz: { status: 200 },
    metrics: { status: 200 },
    // No codec in this harness: the payloads come back as they were sent.
    codecDecode: { body: { payloads: [] }, status: 200 },
    codecEncode: { body: { payloads: [] }, status: 200 },
    // Slack is not configured in this harness: the endpoint says so.
    slackInteractions: { body: {}, status: 404 },
    slackCommands: { body: {}, status: 404 },
    emailDecisionPage: { status: 404 },
    emailDecide: { body: {}, status: 404 },
    // Browser sign-in is not configured in this harness: every sign-in route says so, to everyone
    // (test/integration/browser-signin.test.ts covers them configured).
    signIn: { query: 'returnTo=/', status: 404 },
    signInCallback: { status: 404 },
    signOut: { body: {}, status: 404 },
  };
  const routes = Object.entries(ROUTES) as Array<[RouteName, RouteContract]>;
  const roles = [...new Set(Object.values(PEOPLE).flatMap((p) => p.roles as readonly Role[]))];
  const admits = (route: RouteContract, person: Person | undefined): boolean => {
    if (route.access === 'public' || route.access === 'integration' || route.access === 'sign-in') return true;
    if (person === undefined) return false;
    const has = PEOPLE[person].roles as readonly Role[];
    return route.access === 'alert-source'
      ? has.includes('alert-source')
      : has.some((r) => (route.access as Role[]).includes(r));
  };

  it('has an expected answer for every route of the contract, and callers holding every role', () => {
    expect(Object.keys(ALLOWED).sort()).toEqual(Object.keys(ROUTES).sort());
    expect(roles.sort()).toEqual(['admin', 'alert-source', 'approver', 'auditor', 'responder']);
    // Somebody here can call every route, so no row of the matrix is only 403s.
    for (const [name, route] of routes)
      expect(
        (Object.keys(PEOPLE) as Person[]).some((p) => admits(route, p)),
        name,
      ).toBe(true);
  });

  it('keeps the contract within the roles the README promises', () => {
    for (const [name, route] of routes) {
      if (route.access === 'public') {
        expect(route.method, `${name} is public`).toBe('get');
        continue;
      }
      if (route.access === 'alert-source') {
        expect(route.path, `${name} takes alert sources`).toMatch(/^\/v1\/alerts\//);
        continue;
      }
      // Without a bearer token only what another system sends on a person's behalf, proven its own way.
      if (route.access === 'integration') {
        expect(route.path, `${name} is an integration`).toMatch(/^\/v1\/integrations\//);
        continue;
      }
      // Browser sign-in itself: no bearer token (a browser cannot send one); its cookies and the
      // identity provider authenticate the person, and only under /v1/auth/.
      if (route.access === 'sign-in') {
        expect(route.path, `${name} is sign-in`).toMatch(/^\/v1\/auth\//);
        continue;
      }
      // Auditors only read; alert sources only post alerts.
      expect(
        route.access.includes('auditor') && route.method !== 'get' && !route.readOnly,
        `${name}: auditors may only read`,
      ).toBe(false);
      expect(route.access, name).not.toContain('alert-source');
    }
  });

  it("answers every route, for every caller, exactly: the route's own status if the contract admits them, 403 if not, 401 without a token", async () => {
    const id = await r.open('matrix', { labels: { incident_tag: 'matrix-1' } });
    await r.pendingApproval(id); // settled: from here only people can change it
    // The timeline route reads OpenSearch: wait until the response's first events are indexed.
    await vi.waitFor(
      async () => expect((await h.request('GET', `/v1/incidents/${id}/timeline`, { as: 'audrey' })).status).toBe(200),
      { timeout: 20_000, interval: 200 },
    );
    const before = (await r.status(id)).timeline.length;
    const callers: Array<Person | undefined> = [undefined, ...(Object.keys(PEOPLE) as Person[])];
    const mismatches: string[] = [];
    let calls = 0;
    for (const [name, route] of routes) {
      const probe = ALLOWED[name];
      const url = `${route.path.replace(':id', id).replace(':approvalId', 'restart-replica-1').replace(':controlId', 'nope')}${probe.query ? `?${probe.query}` : ''}`;
      for (const as of callers) {
        const expected = admits(route, as) ? probe.status : as === undefined ? 401 : 403;
        const res = await h.request(route.method.toUpperCase(), url, { as, body: probe.body });
        calls++;
        if (res.status !== expected)
          mismatches.push(
            `${route.method.toUpperCase()} ${route.path} (${name}) as ${as ?? 'nobody'}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
    expect(calls).toBe(routes.length * callers.length);
    // Nobody's refused or invalid attempt changed the response; refused ones are recorded in its
    // trail (the gateway reports them), and nothing else was added.
    const after = (await r.status(id)).timeline;
    expect(after.length).toBeGreaterThan(before);
    expect(new Set(after.slice(before).map((e: { type: string }) => e.type))).toEqual(new Set(['input.rejected']));
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('keeps auditors read-only on every mutating route', async () => {
    const id = await r.open('auditor', { labels: { incident_tag: 'auditor-1' } });
    for (const route of Object.values(ROUTES) as RouteContract[]) {
      if (route.method === 'get' || route.readOnly) continue;
      // Integrations take no bearer token at all: the person comes from the sender's proof.
      if (route.access === 'integration' || route.access === 'sign-in') continue;
      const res = await h.request(
        route.method.toUpperCase(),
        route.path.replace(':id', id).replace(':approvalId', 'restart-replica-1').replace(':controlId', 'nope'),
        { as: 'audrey', body: { reason: 'auditors may not', decision: 'approve', summary: 'x', text: 'x' } },
      );
      expect([route.path, res.status]).toEqual([route.path, 403]);
    }
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('never takes the actor from the body', async () => {
    const id = await r.open('spoof', { labels: { incident_tag: `spoof-${randomUUID()}` } });
    const res = await h.request('POST', `/v1/incidents/${id}/opt-out`, {
      as: 'alice',
      body: { reason: 'pretending', actor: { id: 'bob', name: 'Bob', channel: 'api', roles: ['admin'], groups: [] } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/actor/);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});
