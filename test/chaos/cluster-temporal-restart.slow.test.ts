import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCluster, type TemporalCluster } from '../../scripts/stack/temporal-cluster.js';
import { restartPlaybook, startInterlock, type Interlock } from '../support/interlock.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { CHAOS_CLUSTER, quiet } from './cluster-stack.js';

/**
 * The Temporal server of a cluster (the real server on PostgreSQL, a private one: this file
 * kills it) restarted while one response waits for an approval and another is in the middle of a
 * step. Nothing is lost with the server's process: both responses carry on from PostgreSQL, each
 * mitigation runs once, and the audit trail is whole.
 */
let temporal: TemporalCluster;
let target: TargetServer;
let h: Interlock;

async function eventually<T>(attempt: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs / 1000}s: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.each([
  ['crashes (SIGKILL)', 'SIGKILL'],
  ['is stopped and started (SIGTERM)', undefined],
] as const)('the Temporal server %s mid-response and mid-approval', (_, signal) => {
  beforeAll(async () => {
    temporal = await ensureTemporalCluster(CHAOS_CLUSTER, quiet);
    target = await startTargetServer();
    const slow = restartPlaybook(`${target.url}/slow`, { alertname: 'SlowDiagnostic' }).replace(
      'id: restart-replica\n',
      'id: slow-diagnostic\n',
    );
    h = await startInterlock(
      {
        temporalAddress: temporal.address,
        opensearchUrl: inject('opensearchUrl'),
        auditIndexPrefix: inject('auditIndexPrefix'),
        auditIndexReplicas: inject('auditIndexReplicas'),
        workflowBundlePath: inject('workflowBundlePath'),
      },
      { playbooks: { 'restart.yaml': restartPlaybook(target.url), 'slow.yaml': slow } },
    );
  }, 300_000);

  afterAll(async () => {
    await h?.stop();
    await target?.close();
    await temporal?.process?.stop();
    await temporal?.postgres.process?.stop();
  });

  it('both responses continue; each mitigation runs once; the audit trail is whole', async () => {
    const r = responses(h);
    const waiting = await r.open('restart-waiting');
    const approval = await r.pendingApproval(waiting);
    // The other response's diagnostic answers only after 3 s: the server goes down meanwhile.
    target.respondAfter('/slow/diagnostics/lag', 3000);
    const running = await r.open('restart-running', { labels: { alertname: 'SlowDiagnostic' } });
    await target.waitFor(() => target.requestsTo('/slow/diagnostics/lag').length === 1);

    const down = Date.now();
    await temporal.restartServer!(signal);
    const restartMs = Date.now() - down;

    // The approval, through the gateway, once the frontend answers again (it may still refuse
    // for a moment while its caches fill: a client retries, as the CLI and the console do).
    const decided = await eventually(
      () => r.decide(waiting, approval.id, 'bob', { decision: 'approve', reason: 'approved after the restart' }),
      (res) => res.status === 200,
      60_000,
    );
    expect(decided.status).toBe(200);
    expect((await r.result(waiting)).phase).toBe('completed');

    // The response that was mid-step reaches its own approval, and completes once approved.
    const second = await r.pendingApproval(running);
    expect((await r.decide(running, second.id, 'bob', { decision: 'approve', reason: 'second one' })).status).toBe(200);
    expect((await r.result(running)).phase).toBe('completed');

    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
    expect(target.requestsTo('/slow/mitigations/restart')).toHaveLength(1);
    for (const id of [waiting, running]) {
      const timeline = (await r.status(id)).timeline.map((e: any) => e.eventId);
      const stored = await eventually(
        () => h.request('GET', `/v1/audit/search?incident=${id}&limit=200&sort=oldest`, { as: 'audrey' }),
        (res) => res.body.total === timeline.length,
        30_000,
      );
      expect(stored.body.events.map((e: any) => e.eventId)).toEqual(timeline);
      expect((await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' })).body).toMatchObject({
        intact: true,
      });
    }
    console.log(`[chaos] Temporal server ${signal ?? 'SIGTERM'} restart took ${restartMs} ms`);
  }, 300_000);
});
