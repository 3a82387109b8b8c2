import { alertmanagerWebhook, restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchContext } from '../context.js';
import { report } from '../metrics.js';

/**
 * N responses, each with a mitigation in flight (held open by the target), then the kill switch:
 * how long until the last in-flight request is aborted, and whether any mitigation request
 * arrived after the switch was acknowledged.
 */
export async function guardrailsBatch({ stack, iterations = 1000 }: BenchContext): Promise<void> {
  const log = (m: string) => console.error(`[bench:guardrails] ${m}`);
  const target = await startTargetServer();
  target.holdOpen('/mitigations/restart');
  const playbook = restartPlaybook(target.url, { policy: '{ mode: auto }', mitigationTimeout: '10m' });
  const h = await startInterlock(stack, {
    playbooks: { 'restart.yaml': playbook },
    policy: 'default: { mode: auto }',
    maxConcurrentActivities: iterations + 200,
  });
  const run = `${Date.now()}`;
  const ids: string[] = [];
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < iterations) {
          const i = next++;
          const res = await h.request('POST', '/v1/alerts/alertmanager', {
            as: 'alertmanager',
            body: alertmanagerWebhook(`{}/{ks="${run}"}:{n="${i}"}`, { labels: { incident_tag: `ks-${run}-${i}` } }),
          });
          if (res.status !== 202) throw new Error(`intake answered ${res.status}`);
          ids.push(res.body.incidentId);
        }
      }),
    );
    const progress = setInterval(
      () => log(`in flight: ${inFlight().length}, received: ${target.received.length}`),
      5000,
    );
    const inFlight = () =>
      target.received.filter(
        (x) => x.path === '/mitigations/restart' && x.body.includes(`ks-${run}-`) && !x.aborted && !x.answered,
      );
    const started = Date.now();
    await target.waitFor(() => inFlight().length >= iterations, 600_000).finally(() => clearInterval(progress));
    log(`${iterations} mitigations in flight after ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const flying = inFlight();
    const t0 = Date.now();
    const res = await h.request('POST', '/v1/guardrails/kill-switch', {
      as: 'alice',
      body: { reason: 'benchmark: stop everything' },
    });
    const acknowledged = Date.now();
    if (res.status !== 200) throw new Error(`kill switch answered ${res.status}`);
    await target.waitFor(() => flying.every((x) => x.aborted), 120_000);
    const lastAbort = Math.max(...flying.map((x) => x.abortedAt!));
    await new Promise((r) => setTimeout(r, 2000)); // anything that would start late has had its chance
    const late = target.received.filter(
      (x) => x.path === '/mitigations/restart' && x.body.includes(`ks-${run}-`) && x.arrivedAt > acknowledged,
    ).length;

    report('killswitch_ack_ms', acknowledged - t0, 'ms');
    report('killswitch_halt_all_ms', lastAbort - t0, 'ms', { responses: iterations, target: 3000 });
    report('killswitch_late_starts', late, 'mitigations', { target: 0 });
  } finally {
    await h
      .request('DELETE', '/v1/guardrails/kill-switch', { as: 'alice', body: { reason: 'benchmark over' } })
      .catch(() => undefined);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < ids.length)
          await h.client.workflow
            .getHandle(`incident-${ids[next++]}`)
            .terminate('benchmark over')
            .catch(() => undefined);
      }),
    );
    await h.stop();
    await target.close();
  }
}
