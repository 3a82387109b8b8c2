import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createAuditStore } from '../../src/clients/opensearch/audit-store.js';
import { hashToken, PrincipalDirectory } from '../../src/api/auth/principals.js';
import { ROUTES, type RouteContract } from '../../src/api/contract.js';
import { PEOPLE, restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let limited: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  limited = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) }, rateLimitPerMinute: 5 });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await limited?.stop();
  await target?.close();
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document with every route and its request schema', async () => {
    const res = await h.request('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    for (const [name, route] of Object.entries(ROUTES) as Array<[string, RouteContract]>) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
      expect(op, name).toBeDefined();
      expect(op.operationId).toBe(name);
      if (route.body)
        expect(
          op.requestBody.content['application/json'].schema.type ??
            op.requestBody.content['application/json'].schema.oneOf ??
            op.requestBody.content['application/json'].schema.anyOf,
        ).toBeDefined();
    }
    // The document is generated from the schemas the routes validate with: a field it requires is one the route requires.
    const decide =
      doc.paths['/v1/incidents/{id}/approvals/{approvalId}'].post.requestBody.content['application/json'].schema;
    expect(decide.required).toEqual(expect.arrayContaining(['decision', 'reason']));
    expect(decide.properties.decision.enum).toEqual(['approve', 'reject']);
    expect(decide.additionalProperties).toBe(false);
  });

  it('answers every documented operation (no route the document promises is missing)', async () => {
    // Called as someone the route lets in, so what answers is the route itself: an
    // unauthenticated 401 or a 403 would say nothing about whether the route exists.
    const callerFor = (route: RouteContract): Person | undefined => {
      if (route.access === 'public' || route.access === 'integration' || route.access === 'sign-in') return undefined;
      if (route.access === 'alert-source') return 'alertmanager';
      const allowed = route.access;
      return (Object.keys(PEOPLE) as Person[]).find((p) =>
        PEOPLE[p].roles.some((role) => (allowed as readonly string[]).includes(role)),
      );
    };
    for (const [name, route] of Object.entries(ROUTES) as Array<[string, RouteContract]>) {
      const url = route.path
        .replace(':id', 'am-000000000000000000000000')
        .replace(':approvalId', 'x-1')
        .replace(':controlId', 'nope');
      const as = callerFor(route);
      expect(
        route.access === 'public' || route.access === 'integration' || route.access === 'sign-in' || as !== undefined,
        `${name}: nobody may call it`,
      ).toBe(true);
      // Empty bodies: no operation here changes anything (every write needs at least a reason).
      const res = await h.request(route.method.toUpperCase(), url, {
        as,
        body: route.method === 'get' ? undefined : {},
      });
      expect({ name, status: res.status, unrouted: /^no route/.test(res.body?.error?.message ?? '') }).toEqual({
        name,
        status: res.status,
        unrouted: false,
      });
      expect([name, res.status], 'not let in').not.toEqual([name, 401]);
      expect([name, res.status], 'not let in').not.toEqual([name, 403]);
      // And the answer is one the document lists for that operation.
      expect(
        Object.keys(route.responses),
        `${name} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`,
      ).toContain(String(res.status));
    }
  });
});

describe('errors and headers', () => {
  it('uses one error shape, with no stack traces', async () => {
    for (const res of [
      await h.request('GET', '/v1/nowhere', { as: 'alice' }),
      await h.request('POST', '/v1/incidents/am-000000000000000000000000/opt-out', { as: 'alice', rawBody: '{bad' }),
      await h.request('GET', '/v1/incidents'),
    ]) {
      expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('refuses bodies over 1 MB with 413', async () => {
    const res = await h.request('POST', '/v1/alerts/generic', {
      as: 'alertmanager',
      rawBody: JSON.stringify({ title: 'x'.repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body_too_large');
  });

  it('sends security headers', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('rate-limits per principal with 429, without affecting other principals', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await limited.request('GET', '/v1/incidents?limit=1', { as: 'audrey' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limitedRes = await limited.request('GET', '/v1/incidents?limit=1', { as: 'audrey' });
    expect(limitedRes.body.error.code).toBe('rate_limited');
    expect((await limited.request('GET', '/v1/incidents?limit=1', { as: 'alice' })).status).toBe(200);
  });
});

describe('health, readiness and metrics', () => {
  it('is ready when Temporal answers; OpenSearch down only degrades it (decisions still work); says which one does not answer', async () => {
    const ok = await h.request('GET', '/readyz');
    expect(ok).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { temporal: { ok: true }, opensearch: { ok: true } } },
    });

    // The same gateway with OpenSearch pointed at a port where nothing listens.
    const unreachable = new OpenSearchClient({ node: 'http://127.0.0.1:9', requestTimeout: 1000, maxRetries: 0 });
    const app = createApp({
      client: h.client,
      taskQueue: h.taskQueue,
      principals: PrincipalDirectory.fromYaml(
        JSON.stringify({ principals: [{ ...PEOPLE.bob, tokenSha256: hashToken(h.tokens.bob) }] }),
      ),
      audit: createAuditStore(unreachable, 'audit-events'),
      opensearchPing: () => unreachable.ping(),
      log: pino({ level: 'silent' }),
      guardrailsWorkflowId: h.guardrailsWorkflowId,
      signer: h.signer,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/readyz`);
      // Still in the load balancer: the control API works without OpenSearch.
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 'degraded',
        checks: { temporal: { ok: true }, opensearch: { ok: false } },
      });
      // And a decision through this gateway goes through.
      const id = await r.open('degraded-gateway', { labels: { incident_tag: 'degraded-1' } });
      const approval = await r.pendingApproval(id);
      const decided = await fetch(`${base}/v1/incidents/${id}/approvals/${approval.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.tokens.bob}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', reason: 'OpenSearch is down, decisions are not' }),
      });
      expect(decided.status).toBe(200);
      expect((await r.result(id)).phase).toBe('completed');
    } finally {
      server.close();
    }

    // And the other way round: Temporal unreachable (a lazy connection to a port where nothing
    // listens; no retry interceptor, so nothing retries after the test), OpenSearch fine.
    const deadTemporal = new Client({
      connection: Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 1000, interceptors: [] }),
    });
    const noTemporal = createApp({
      client: deadTemporal,
      taskQueue: h.taskQueue,
      principals: PrincipalDirectory.fromYaml(
        'principals: [{ id: x, name: X, roles: [auditor], tokenSha256: "0000000000000000000000000000000000000000000000000000000000000000" }]',
      ),
      audit: h.audit,
      opensearchPing: () => h.opensearch.ping(),
      log: pino({ level: 'silent' }),
      guardrailsWorkflowId: h.guardrailsWorkflowId,
    });
    const server2 = noTemporal.listen(0, '127.0.0.1');
    await new Promise((resolve) => server2.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server2.address() as AddressInfo).port}/readyz`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toMatchObject({
        status: 'not ready',
        checks: { temporal: { ok: false, error: expect.any(String) }, opensearch: { ok: true } },
      });
    } finally {
      server2.close();
      await deadTemporal.connection.close().catch(() => undefined);
    }
  });

  it('exports request, decision, opt-out and approval-latency metrics', async () => {
    const metric = async (pattern: RegExp) => {
      const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
      return text.match(pattern)?.[1];
    };
    const optOuts = /^interlock_optouts_total\{mode="finish-current-step",scope="step"\} (\d+)$/m;
    expect(await metric(optOuts)).toBeUndefined();

    // Other tests in this file deliver alerts too: count this one from where it stands.
    const deliveries = /^interlock_alert_deliveries_total\{source="alertmanager"\} (\d+)$/m;
    const deliveriesBefore = Number((await metric(deliveries)) ?? 0);
    const id = await r.open('metrics', { labels: { incident_tag: 'metrics-1' } });
    const approval = await r.pendingApproval(id);
    await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'for the metrics' });
    const res = await fetch(`${h.baseUrl}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/interlock_decisions_total\{decision="approve"\} 1/);
    expect(text).toMatch(/interlock_approval_latency_seconds_count 1/);
    expect(text).toMatch(
      /interlock_http_requests_total\{method="POST",route="\/v1\/incidents\/:id\/approvals\/:approvalId",status="200"\} 1/,
    );
    expect(Number(text.match(deliveries)?.[1])).toBe(deliveriesBefore + 1);
    await r.result(id);

    // Opt-outs: an accepted one counts under its mode and scope; a refused one does not count.
    const other = await r.open('metrics-optout', { labels: { incident_tag: 'metrics-2' } });
    await r.pendingApproval(other);
    expect(
      (
        await r.post(other, 'opt-out', 'alice', {
          mode: 'finish-current-step',
          scope: { kind: 'step', stepId: 'restart-replica' },
        })
      ).status,
    ).toBe(400);
    expect(await metric(optOuts)).toBeUndefined();
    expect(
      (
        await r.post(other, 'opt-out', 'alice', {
          reason: 'I will do this by hand',
          mode: 'finish-current-step',
          scope: { kind: 'step', stepId: 'restart-replica' },
        })
      ).status,
    ).toBe(200);
    expect(await metric(optOuts)).toBe('1');
    const all = (await (await fetch(`${h.baseUrl}/metrics`)).text()).match(/^interlock_optouts_total\{.*$/gm);
    expect(all).toEqual(['interlock_optouts_total{mode="finish-current-step",scope="step"} 1']);
    await r.post(other, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});
