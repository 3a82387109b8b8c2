import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { signInterlockV1, signPagerDutyV1 } from '../../src/api/auth/signatures.js';
import { incidentIdFor, workflowIdFor } from '../../src/domain/incident/incident-id.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

const fixture = (name: string) => JSON.parse(fs.readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const SIGNING_SECRET = 'test-signing-secret';
const PAGERDUTY_SECRET = 'test-pagerduty-secret';
const SIGNING_PRINCIPALS = [
  {
    id: 'ci-monitor',
    name: 'CI monitor',
    roles: ['alert-source'],
    signing: { scheme: 'interlock-v1', secretEnv: 'CI_MONITOR_SECRET' },
  },
  {
    id: 'pagerduty',
    name: 'PagerDuty',
    roles: ['alert-source'],
    signing: { scheme: 'pagerduty-v1', secretEnv: 'PAGERDUTY_SECRET' },
  },
];
const SIGNING_ENV = { CI_MONITOR_SECRET: SIGNING_SECRET, PAGERDUTY_SECRET };

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'close-on-resolve.yaml': restartPlaybook(target.url, { alertname: 'Flapping' }).replace(
        'id: restart-replica\n',
        'id: flapping\nonResolved: close\n',
      ),
    },
    extraPrincipals: SIGNING_PRINCIPALS,
    env: SIGNING_ENV,
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** POST a raw body exactly as signed (the signature covers these bytes). */
async function postRaw(path: string, raw: string, headers: Record<string, string>) {
  const res = await fetch(`${h.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('alert formats', () => {
  it('Grafana: the documented webhook opens a response with its labels', async () => {
    const payload = fixture('grafana-webhook.json');
    payload.groupKey += randomUUID();
    const res = await h.request('POST', '/v1/alerts/grafana', { as: 'alertmanager', body: payload });
    expect(res.status).toBe(202);
    expect(res.body.incidentId).toMatch(/^gf-[0-9a-f]{24}$/);
    const s = await r.until(res.body.incidentId, (x) => x.phase !== 'waiting-for-alert');
    expect(s).toMatchObject({
      title: 'p99 checkout latency above 2s',
      service: 'checkout',
      environment: 'prod',
      severity: 'warning',
    });
    expect(s.alerts[0].fingerprint).toBe('57c6d9296de2ad39');
  });

  it('PagerDuty: triggered opens, a redelivery is recorded once, resolved is recorded, other events are ignored', async () => {
    const payload = fixture('pagerduty-incident-triggered.json');
    payload.event.data.incident_key = randomUUID();
    const raw = JSON.stringify(payload);
    const signed = { 'x-pagerduty-signature': `v1=deadbeef,${signPagerDutyV1(PAGERDUTY_SECRET, raw)}` };
    const first = await postRaw('/v1/alerts/pagerduty', raw, signed);
    expect(first.status).toBe(202);
    expect(first.body.incidentId).toMatch(/^pd-/);
    // PagerDuty retries with the same event id: recorded once.
    expect((await postRaw('/v1/alerts/pagerduty', raw, signed)).status).toBe(202);
    const s = await r.until(first.body.incidentId, (x) => x.duplicateDeliveries === 1);
    expect(s).toMatchObject({
      deliveries: 1,
      title: 'Payments database replication lag',
      service: 'payments-db',
      severity: 'critical',
      labels: { priority: 'P1' },
    });

    const resolved = structuredClone(payload);
    resolved.event.id = randomUUID();
    resolved.event.event_type = 'incident.resolved';
    const resolvedRaw = JSON.stringify(resolved);
    expect(
      (
        await postRaw('/v1/alerts/pagerduty', resolvedRaw, {
          'x-pagerduty-signature': signPagerDutyV1(PAGERDUTY_SECRET, resolvedRaw),
        })
      ).status,
    ).toBe(202);
    const after = await r.until(first.body.incidentId, (x) => x.deliveries === 2);
    expect(after.alerts[0].status).toBe('resolved');

    const acknowledged = {
      ...payload,
      event: { ...payload.event, id: randomUUID(), event_type: 'incident.acknowledged' },
    };
    const ackRaw = JSON.stringify(acknowledged);
    const ack = await postRaw('/v1/alerts/pagerduty', ackRaw, {
      'x-pagerduty-signature': signPagerDutyV1(PAGERDUTY_SECRET, ackRaw),
    });
    expect(ack).toMatchObject({ status: 202, body: { ignored: true, eventType: 'incident.acknowledged' } });
  });

  it('PagerDuty: a bad or missing signature is refused and starts nothing', async () => {
    // An incident of its own, so "nothing started" cannot be confused with another test's response.
    const payload = fixture('pagerduty-incident-triggered.json');
    payload.event.data.incident_key = `unsigned-${randomUUID()}`;
    payload.event.id = randomUUID();
    const raw = JSON.stringify(payload);
    const incidentId = incidentIdFor('pagerduty', payload.event.data.incident_key);

    const bad = await postRaw('/v1/alerts/pagerduty', raw, {
      'x-pagerduty-signature': signPagerDutyV1('wrong-secret', raw),
    });
    expect(bad).toMatchObject({ status: 401, body: { error: { message: 'the signature does not match the body' } } });
    // Signed over different bytes than were sent.
    const tampered = await postRaw('/v1/alerts/pagerduty', raw.replace('replication lag', 'replication lag!'), {
      'x-pagerduty-signature': signPagerDutyV1(PAGERDUTY_SECRET, raw),
    });
    expect(tampered.status).toBe(401);
    expect((await postRaw('/v1/alerts/pagerduty', raw, {})).status).toBe(401);

    // Nothing started: Temporal has no workflow for the incident, and the API knows no such response.
    await expect(h.client.workflow.getHandle(workflowIdFor(incidentId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect((await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).status).toBe(404);

    // The same bytes, correctly signed, start exactly that response: the checks above looked in the right place.
    const good = await postRaw('/v1/alerts/pagerduty', raw, {
      'x-pagerduty-signature': signPagerDutyV1(PAGERDUTY_SECRET, raw),
    });
    expect(good).toMatchObject({ status: 202, body: { incidentId } });
    const s = await r.until(incidentId, (x) => x.deliveries === 1);
    expect(s.timeline.filter((e: { type: string }) => e.type === 'response.opened')).toHaveLength(1);
    await r.post(incidentId, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('generic JSON: dedupKey groups, deliveryId dedups, the schema names wrong fields', async () => {
    const dedupKey = `generic-${randomUUID()}`;
    const body = {
      dedupKey,
      deliveryId: 'd-1',
      title: 'Queue depth above 10k',
      labels: { alertname: 'QueueDepth', service: 'orders' },
    };
    const a = await h.request('POST', '/v1/alerts/generic', { as: 'alertmanager', body });
    const b = await h.request('POST', '/v1/alerts/generic', { as: 'alertmanager', body });
    const c = await h.request('POST', '/v1/alerts/generic', {
      as: 'alertmanager',
      body: { ...body, deliveryId: 'd-2' },
    });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(new Set([a.body.incidentId, b.body.incidentId, c.body.incidentId]).size).toBe(1);
    await r.until(a.body.incidentId, (x) => x.deliveries === 2 && x.duplicateDeliveries === 1);
    const wrong = await h.request('POST', '/v1/alerts/generic', {
      as: 'alertmanager',
      body: { dedupKey, title: '', extra: 1 },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/title/);
    expect(wrong.body.error.message).toMatch(/extra/);
  });

  it('a resolved notification closes the response when the playbook says so', async () => {
    const groupKey = uniqueGroupKey('flap');
    const labels = { alertname: 'Flapping' };
    const open = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(groupKey, { labels }),
    });
    await r.pendingApproval(open.body.incidentId);
    await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(groupKey, { labels, status: 'resolved' }),
    });
    expect((await r.result(open.body.incidentId)).phase).toBe('resolved');
    const s = await r.status(open.body.incidentId);
    expect(s.resolution).toMatchObject({ summary: 'all alerts resolved' });
    expect(s.approvals[0].state).toBe('withdrawn');
  });
});

describe('signed deliveries (X-Interlock-Signature)', () => {
  const body = () =>
    JSON.stringify({
      dedupKey: `signed-${randomUUID()}`,
      title: 'Build farm down',
      labels: { alertname: 'BuildFarm' },
    });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a fresh signature once, and refuses its replay', async () => {
    const raw = body();
    const headers = {
      'x-interlock-source': 'ci-monitor',
      'x-interlock-signature': signInterlockV1(SIGNING_SECRET, raw, now()),
    };
    const first = await postRaw('/v1/alerts/generic', raw, headers);
    expect(first.status).toBe(202);
    const replay = await postRaw('/v1/alerts/generic', raw, headers);
    expect(replay).toMatchObject({ status: 401, body: { error: { message: expect.stringContaining('replay') } } });
  });

  it('a replay sent to another gateway (its own replay cache) is recorded as a duplicate, not a new alert', async () => {
    // A second gateway, with the same principals, in front of the same Temporal.
    const other = await startHarness({ playbooks: {}, extraPrincipals: SIGNING_PRINCIPALS, env: SIGNING_ENV });
    try {
      const raw = body();
      const headers = {
        'content-type': 'application/json',
        'x-interlock-source': 'ci-monitor',
        'x-interlock-signature': signInterlockV1(SIGNING_SECRET, raw, now()),
      };
      const first = await postRaw('/v1/alerts/generic', raw, headers);
      expect(first.status).toBe(202);
      const elsewhere = await fetch(`${other.baseUrl}/v1/alerts/generic`, { method: 'POST', headers, body: raw });
      expect(elsewhere.status).toBe(202); // that gateway has not seen the signature
      const s = await r.until(first.body.incidentId, (x) => x.duplicateDeliveries === 1);
      expect(s.deliveries).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('refuses a stale timestamp, a wrong secret, an unknown source, and a malformed header', async () => {
    const raw = body();
    const stale = await postRaw('/v1/alerts/generic', raw, {
      'x-interlock-source': 'ci-monitor',
      'x-interlock-signature': signInterlockV1(SIGNING_SECRET, raw, now() - 3600),
    });
    expect(stale.body.error.message).toMatch(/timestamp/);
    const wrong = await postRaw('/v1/alerts/generic', raw, {
      'x-interlock-source': 'ci-monitor',
      'x-interlock-signature': signInterlockV1('nope', raw, now()),
    });
    expect(wrong.body.error.message).toMatch(/does not match/);
    const unknown = await postRaw('/v1/alerts/generic', raw, {
      'x-interlock-source': 'someone',
      'x-interlock-signature': signInterlockV1(SIGNING_SECRET, raw, now()),
    });
    expect(unknown.body.error.message).toMatch(/no signing alert source "someone"/);
    const malformed = await postRaw('/v1/alerts/generic', raw, {
      'x-interlock-source': 'ci-monitor',
      'x-interlock-signature': 'sha256=abc',
    });
    expect(malformed.body.error.message).toMatch(/t=<unix seconds>,v1=<hex>/);
    for (const res of [stale, wrong, unknown, malformed]) expect(res.status).toBe(401);
  });
});

describe('dedup under concurrency', () => {
  it('50 concurrent deliveries of one alert group yield exactly one response, each delivery recorded once', async () => {
    const groupKey = uniqueGroupKey('fifty');
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.request('POST', '/v1/alerts/alertmanager', { as: 'alertmanager', body: alertmanagerWebhook(groupKey) }),
      ),
    );
    expect(results.every((x) => x.status === 202)).toBe(true);
    expect(new Set(results.map((x) => x.body.runId)).size).toBe(1);
    const id = results[0]!.body.incidentId;
    const s = await r.until(id, (x) => x.deliveries === 50);
    expect(r.types(s).filter((t) => t === 'response.opened')).toHaveLength(1);
    let runs = 0;
    await new Promise((res) => setTimeout(res, 1500)); // visibility is eventually consistent
    for await (const _ of h.client.workflow.list({ query: `WorkflowId = 'incident-${id}'` })) runs++;
    expect(runs).toBe(1);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});
