import fs from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigHealth } from '../../src/clients/config/reloading-file.js';
import { createMetricsEndpoint } from '../../src/worker/metrics-endpoint.js';
import { sdkMetricsAddress, sdkMetricsOptions } from '../../src/worker/sdk-metrics.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { installTestRuntime } from '../support/interlock.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * The worker's scrape endpoint, wired as src/worker/main.ts wires it (the SDK runtime's Prometheus
 * exporter, the status server merging it with its own registry, the pending-approval poll), in
 * front of a real worker that ran responses: approved, opted out, held by the kill switch.
 * Then every metric the Grafana dashboard queries must be among what it serves.
 */
const DASHBOARD = 'deploy/grafana/interlock-dashboard.json';

let target: TargetServer;
let h: Harness;
let endpoint: ReturnType<typeof createMetricsEndpoint>;
let url: string;

beforeAll(async () => {
  const bind = await sdkMetricsAddress(undefined);
  installTestRuntime(undefined, sdkMetricsOptions(bind));
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  // As the worker's loader reports them: the playbooks it read, accepted.
  const health = new ConfigHealth();
  health.report(h.playbookDir);
  endpoint = createMetricsEndpoint({
    health,
    running: () => true,
    sdkMetricsAddress: bind,
    // A long interval: the test polls when it wants a fresh reading.
    pendingApprovals: { client: h.client, taskQueue: h.taskQueue, intervalMs: 600_000 },
    log: pino({ level: 'silent' }),
  });
  url = await endpoint.listen(0, '127.0.0.1');
}, 120_000);
afterAll(async () => {
  await endpoint?.close();
  await h?.stop();
  await target?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text exposition, as samples (comment lines skipped). */
async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    samples.push({ name: m[1]!, labels: labels as Record<string, string>, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `match` (and this harness's task queue, if `ownQueue`). */
async function valueOf(name: string, match: Record<string, string> = {}, ownQueue = true): Promise<number> {
  const wanted = ownQueue ? { taskQueue: h.taskQueue, ...match } : match;
  return (await scrape())
    .filter((s) => s.name === name && Object.entries(wanted).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function openAwaitingApproval(label: string): Promise<string> {
  const res = await h.request('POST', '/v1/alerts/alertmanager', {
    as: 'alertmanager',
    body: alertmanagerWebhook(uniqueGroupKey(label)),
  });
  expect(res.status).toBe(202);
  const incidentId: string = res.body.incidentId;
  await vi.waitFor(
    async () => {
      const s = await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' });
      expect(s.body.approvals?.[0]?.state).toBe('pending');
    },
    { timeout: 30_000, interval: 100 },
  );
  return incidentId;
}

const phaseOf = async (incidentId: string) =>
  (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body.phase as string;

describe('worker metrics', () => {
  it('counts pending approvals from visibility, then decisions, opt-outs, guardrail blocks and mitigations', async () => {
    const approved = await openAwaitingApproval('metrics-approve');
    await vi.waitFor(
      async () => {
        await endpoint.pollPendingApprovals();
        expect(await valueOf('interlock_approvals_pending')).toBe(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    // Just asked: not older than a minute; the oldest is seconds old.
    expect(await valueOf('interlock_approvals_pending_older_than', { seconds: '60' })).toBe(0);
    const age = await valueOf('interlock_approvals_oldest_pending_age_seconds');
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(60);

    const decided = await h.request('POST', `/v1/incidents/${approved}/approvals/restart-replica-1`, {
      as: 'bob',
      body: { decision: 'approve', reason: 'metrics check' },
    });
    expect(decided.status).toBe(200);
    await h.client.workflow.getHandle(`incident-${approved}`).result();

    const optedOut = await openAwaitingApproval('metrics-optout');
    const optOut = await h.request('POST', `/v1/incidents/${optedOut}/opt-out`, {
      as: 'alice',
      body: { reason: 'metrics check: hands off' },
    });
    expect(optOut.status).toBe(200);

    const engaged = await h.request('POST', '/v1/guardrails/kill-switch', {
      as: 'ada',
      body: { reason: 'metrics check: hold everything' },
    });
    expect(engaged.status).toBe(200);
    const held = (
      await h.request('POST', '/v1/alerts/alertmanager', {
        as: 'alertmanager',
        body: alertmanagerWebhook(uniqueGroupKey('metrics-held')),
      })
    ).body.incidentId as string;
    await vi.waitFor(async () => expect(await phaseOf(held)).toBe('blocked'), { timeout: 30_000, interval: 100 });
    await h.request('DELETE', '/v1/guardrails/kill-switch', { as: 'ada', body: { reason: 'metrics check over' } });
    for (const id of [optedOut, held])
      await h.request('POST', `/v1/incidents/${id}/cancel`, { as: 'alice', body: { reason: 'test cleanup' } });

    await vi.waitFor(
      async () => {
        expect(
          await valueOf('interlock_response_decisions_total', {
            decision: 'approve',
            outcome: 'approved',
            channel: 'api',
          }),
        ).toBe(1);
        expect(
          await valueOf('interlock_mitigations_total', {
            playbook: 'restart-replica',
            step: 'restart-replica',
            action: 'http.request',
            outcome: 'succeeded',
          }),
        ).toBe(1);
        expect(await valueOf('interlock_response_optouts_total', { scope: 'response', mode: 'halt-now' })).toBe(1);
        expect(await valueOf('interlock_guardrail_blocks_total', { stage: 'held' })).toBeGreaterThanOrEqual(1);
        expect(await valueOf('interlock_approval_requests_total', { kind: 'approval', tier: 'tier1' })).toBe(2);
        expect(await valueOf('interlock_approval_wait_seconds_count', { outcome: 'approved' })).toBe(1);
      },
      { timeout: 15_000, interval: 250 },
    );
    await endpoint.pollPendingApprovals();
    expect(await valueOf('interlock_approvals_pending')).toBe(0);
    // The SDK's own metrics come through the same endpoint.
    expect(await valueOf('interlock_worker_sdk_metrics_up', {}, false)).toBe(1);
    expect((await scrape()).some((s) => s.name.startsWith('temporal_'))).toBe(true);
  });

  it('serves every metric the Grafana dashboard queries', async () => {
    const served = new Set((await scrape()).map((s) => s.name));
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
      templating?: { list: Array<{ query?: string | { query: string } }> };
    };
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...(dashboard.templating?.list ?? []).map((v) => ({
        where: 'variable',
        expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
      })),
    ];
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const p of graphs) expect(p.targets?.length, p.title).toBeGreaterThan(0);
    const used = queries.flatMap((q) =>
      [...q.expr.matchAll(/\b(?:interlock|temporal)_[a-z0-9_]+/g)].map((m) => ({ where: q.where, name: m[0] })),
    );
    expect(used.length).toBeGreaterThan(15);
    const missing = used.filter((u) => !served.has(u.name)).map((u) => `${u.where}: ${u.name}`);
    expect(missing).toEqual([]);
  });
});
