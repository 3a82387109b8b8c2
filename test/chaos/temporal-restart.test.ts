import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restartPlaybook, type Harness } from '../support/harness.js';
import { startInterlock } from '../support/interlock.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { ownTemporal } from './support/own-temporal.js';
import { workerFleet, type WorkerFleet } from './support/worker-process.js';

/**
 * The Temporal server itself restarted (its own dev server, persisted in a file, never the shared
 * one): responses waiting for a person, for a timer, or in the middle of a mitigation carry on
 * from where they were; the gateway and the worker processes reconnect by themselves.
 */
let temporal: Awaited<ReturnType<typeof ownTemporal>>;
let target: TargetServer;
let h: Harness;
let fleet: WorkerFleet;
let r: ReturnType<typeof responses>;

const named = (yaml: string, id: string) => yaml.replace('id: restart-replica\n', `id: ${id}\n`);

beforeAll(async () => {
  temporal = await ownTemporal();
  target = await startTargetServer();
  h = await startInterlock(
    {
      temporalAddress: temporal.address,
      opensearchUrl: inject('opensearchUrl'),
      auditIndexPrefix: inject('auditIndexPrefix'),
      workflowBundlePath: inject('workflowBundlePath'),
    },
    {
      worker: false,
      playbooks: {
        'approval.yaml': named(restartPlaybook(`${target.url}/approval`, { alertname: 'TrApproval' }), 'tr-approval'),
        'window.yaml': named(
          restartPlaybook(`${target.url}/window`, {
            alertname: 'TrWindow',
            policy: '{ mode: auto-after-objection-window, window: 8s }',
          }),
          'tr-window',
        ),
        'running.yaml': named(
          restartPlaybook(`${target.url}/running`, { alertname: 'TrRunning', policy: '{ mode: auto }' }),
          'tr-running',
        ),
      },
    },
  );
  r = responses(h);
  fleet = await workerFleet(h, {
    temporalAddress: temporal.address,
    opensearchUrl: inject('opensearchUrl'),
    auditIndexPrefix: inject('auditIndexPrefix'),
    workflowBundlePath: inject('workflowBundlePath'),
    policy: 'default: { mode: auto }',
  });
  await fleet.start('worker-a');
  await fleet.start('worker-b');
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  await h?.stop();
  await target?.close();
  await temporal?.stop();
});

describe('the Temporal server restarted', () => {
  it('mid-approval and mid-response (a timer running): both carry on', async () => {
    const waiting = await r.open('tr-approval', { labels: { alertname: 'TrApproval' } });
    const pending = await r.pendingApproval(waiting);
    const windowed = await r.open('tr-window', { labels: { alertname: 'TrWindow' } });
    await r.until(windowed, (x) => x.phase === 'objection-window');

    const downMs = await temporal.restart();
    console.info(`Temporal dev server down and back in ${downMs} ms`);

    // The gateway's client reconnects: the decision goes through.
    const decided = await r.decide(waiting, pending.id, 'bob', { decision: 'approve', reason: 'after the restart' });
    expect(decided.status).toBe(200);
    const approved = await r.until(waiting, (x) => x.phase === 'completed', 30_000);
    expect(approved.steps.map((x: { state: string }) => x.state)).toEqual(['succeeded', 'succeeded']);
    // The objection window's timer, started before the restart, fires after it.
    await r.until(windowed, (x) => x.phase === 'completed', 30_000);
    expect(target.requestsTo('/approval/mitigations/restart')).toHaveLength(1);
    expect(target.requestsTo('/window/mitigations/restart')).toHaveLength(1);
    expect(fleet.sent(waiting, 'approval.requested')).toHaveLength(1);
  }, 120_000);

  it('mid-mitigation: it completes, or its effect is unknown and a person is asked; never run twice', async () => {
    target.respondAfter('/running/mitigations/restart', 1_500);
    const id = await r.open('tr-running', { labels: { alertname: 'TrRunning' } });
    await target.waitFor(() => target.requestsTo('/running/mitigations/restart').length === 1, 30_000);
    await temporal.restart();
    const s = await r.until(id, (x) => x.phase === 'completed' || x.phase === 'needs-human', 40_000);
    console.info(`a mitigation running across a Temporal restart ended ${s.phase}`);
    if (s.phase === 'needs-human') expect(s.unknownEffects[0]).toMatchObject({ state: 'open', effect: 'unknown' });
    else expect(s.steps[1].state).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(target.requestsTo('/running/mitigations/restart')).toHaveLength(1);
  }, 120_000);
});
