import { randomUUID } from 'node:crypto';
import { normalizeAlertmanager } from '../../src/domain/incident/alertmanager.js';
import { incidentIdFor, workflowIdFor } from '../../src/domain/incident/incident-id.js';
import { alertSignal, INCIDENT_RESPONSE_WORKFLOW, statusQuery } from '../../src/workflows/incident-response/messages.js';
import { alertmanagerWebhook, restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { report } from '../metrics.js';

const CONCURRENCY = 32;
const PER_GROUP = 10;

async function pool<T>(items: T[], work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * Alert intake through the gateway (auth, validation, normalization, signal-with-start) beside
 * the same number of raw `signalWithStart` calls on the same server; then checks that every
 * accepted delivery was recorded and that no alert group got a second response.
 */
export const intakeSuite: BenchSuite = {
  description: 'alert intake throughput with dedup vs raw signalWithStart; lost deliveries and duplicate responses',
  async run({ stack, iterations = 2000 }) {
    const target = await startTargetServer();
    const h = await startInterlock(stack, { playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
    const groups = Math.max(1, Math.floor(iterations / PER_GROUP));
    const run = randomUUID();
    const viaApi = Array.from({ length: iterations }, (_, i) => `{}/{bench="${run}"}:{api="${i % groups}"}`);
    const viaRaw = Array.from({ length: iterations }, (_, i) => `{}/{bench="${run}"}:{raw="${i % groups}"}`);
    const accepted = new Map<string, Set<string>>();
    let refused = 0;
    try {
      const t0 = performance.now();
      await pool(viaApi, async (groupKey) => {
        const res = await h.request('POST', '/v1/alerts/alertmanager', { as: 'alertmanager', body: alertmanagerWebhook(groupKey) });
        if (res.status !== 202) {
          refused++;
          return;
        }
        if (!accepted.has(res.body.incidentId)) accepted.set(res.body.incidentId, new Set());
        accepted.get(res.body.incidentId)!.add(res.body.runId);
      });
      const apiSeconds = (performance.now() - t0) / 1000;

      const t1 = performance.now();
      await pool(viaRaw, async (groupKey) => {
        const incidentId = incidentIdFor('alertmanager', groupKey);
        await h.client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
          workflowId: workflowIdFor(incidentId),
          taskQueue: h.taskQueue,
          args: [{ incidentId }],
          signal: alertSignal,
          signalArgs: [normalizeAlertmanager(alertmanagerWebhook(groupKey) as never, incidentId, new Date())],
        });
      });
      const rawSeconds = (performance.now() - t1) / 1000;

      // Every accepted delivery must be in its response, and each group must have one response.
      let recorded = 0;
      const deadline = Date.now() + 60_000;
      for (const incidentId of accepted.keys()) {
        for (;;) {
          const status = await h.client.workflow.getHandle(workflowIdFor(incidentId)).query(statusQuery);
          if (status.deliveries >= PER_GROUP || Date.now() > deadline) {
            recorded += status.deliveries;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const duplicateResponses = [...accepted.values()].filter((runIds) => runIds.size > 1).length;
      const acceptedCount = iterations - refused;
      report('intake_per_s', iterations / apiSeconds, 'deliveries/s', { deliveries: iterations, groups, concurrency: CONCURRENCY });
      report('raw_signal_with_start_per_s', iterations / rawSeconds, 'calls/s', { calls: iterations, groups, concurrency: CONCURRENCY });
      report('intake_vs_raw_ratio', iterations / apiSeconds / (iterations / rawSeconds), 'ratio', { target: 0.8 });
      report('intake_lost', acceptedCount - recorded, 'deliveries', { accepted: acceptedCount, recorded, refused, target: 0 });
      report('intake_duplicate_responses', duplicateResponses, 'groups', { groups: accepted.size, target: 0 });
    } finally {
      // Bench cleanup: these responses would otherwise wait for approvals forever.
      for (const key of [...viaApi, ...viaRaw].filter((k, i, all) => all.indexOf(k) === i)) {
        await h.client.workflow.getHandle(workflowIdFor(incidentIdFor('alertmanager', key))).terminate('benchmark over').catch(() => undefined);
      }
      await h.stop();
      await target.close();
    }
  },
};
