import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createJwtVerifier } from '../../src/api/auth/jwt.js';
import { ROUTES, type RouteContract } from '../../src/api/contract.js';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
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
    jwt: createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksFile, rolesClaim: 'roles', groupsClaim: 'groups' }),
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

function jwt(claims: Record<string, unknown>, opts: { key?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string | number } = {}) {
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
    const res = await h.request('POST', `/v1/incidents/${id}/approvals/${approval.id}`, { ...withBearer(await jwt({})), body: { decision: 'approve', reason: 'approved with an OIDC token' } });
    expect(res.status).toBe(200);
    expect(res.body.decisions[0].actor).toEqual({ id: 'jo', name: 'Jo Oidc', channel: 'api' });
  });

  it.each([
    ['signed by another key', () => jwt({}, { key: otherKey }), /signature/],
    ['expired', () => jwt({}, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ['from another issuer', () => jwt({}, { issuer: 'https://evil.test/' }), /iss/],
    ['for another audience', () => jwt({}, { audience: 'someone-else' }), /aud/],
    ['unsigned (alg none)', async () => `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'jo', iss: ISSUER, aud: AUDIENCE, exp: 9e9, roles: ['admin'] })).toString('base64url')}.`, /algorithm|not a valid/],
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
  // For each route: the people who may call it (the others get 403).
  const expected: Partial<Record<keyof typeof ROUTES, Person[]>> = {
    alertmanager: ['alertmanager'],
    listIncidents: ['alice', 'bob', 'dana', 'erin', 'lee', 'audrey'],
    getIncident: ['alice', 'bob', 'dana', 'erin', 'lee', 'audrey'],
    decide: ['alice', 'bob', 'dana', 'erin', 'lee'],
    optOut: ['alice', 'bob', 'dana', 'erin', 'lee'],
    override: ['alice', 'bob', 'dana', 'erin', 'lee'],
    resolve: ['alice', 'bob', 'dana', 'erin', 'lee'],
    auditSearch: ['alice', 'bob', 'dana', 'erin', 'lee', 'audrey'],
  };
  const people: Person[] = ['alertmanager', 'alice', 'bob', 'dana', 'erin', 'lee', 'audrey'];

  it('allows each role exactly its routes, and refuses the rest with 403 before touching a workflow', async () => {
    const id = await r.open('matrix', { labels: { incident_tag: 'matrix-1' } });
    await r.pendingApproval(id); // settled: from here only people can change it
    const before = (await r.status(id)).timeline.length;
    for (const [name, allowed] of Object.entries(expected) as Array<[keyof typeof ROUTES, Person[]]>) {
      const route = ROUTES[name] as RouteContract;
      const url = route.path.replace(':id', id).replace(':approvalId', 'nope-1');
      for (const person of people) {
        // Empty bodies: an allowed caller gets past authorization and fails validation (400/404/…), never 401/403.
        const res = await h.request(route.method.toUpperCase(), url, { as: person, body: route.method === 'post' ? {} : undefined });
        if (allowed.includes(person)) expect([res.status, name, person]).not.toEqual(expect.arrayContaining([403]));
        else expect([res.status, name, person]).toEqual([403, name, person]);
      }
    }
    // Nobody's refused or invalid attempt changed the response.
    expect((await r.status(id)).timeline.length).toBe(before);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('keeps auditors read-only on every mutating route', async () => {
    const id = await r.open('auditor', { labels: { incident_tag: 'auditor-1' } });
    for (const route of Object.values(ROUTES) as RouteContract[]) {
      if (route.method !== 'post') continue;
      const res = await h.request('POST', route.path.replace(':id', id).replace(':approvalId', 'restart-replica-1'), { as: 'audrey', body: { reason: 'auditors may not', decision: 'approve', summary: 'x', text: 'x' } });
      expect([route.path, res.status]).toEqual([route.path, 403]);
    }
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('never takes the actor from the body', async () => {
    const id = await r.open('spoof', { labels: { incident_tag: `spoof-${randomUUID()}` } });
    const res = await h.request('POST', `/v1/incidents/${id}/opt-out`, { as: 'alice', body: { reason: 'pretending', actor: { id: 'bob', name: 'Bob', channel: 'api', roles: ['admin'], groups: [] } } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/actor/);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});
