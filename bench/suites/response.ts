import { alertmanagerWebhook, restartPlaybook, startInterlock, uniqueGroupKey } from '../../test/support/interlock.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

/**
 * The vertical slice, timed from the outside: webhook accepted -> approval visible through the
 * gateway, and approve -> mitigation request arriving at the target.
 */
export const responseSuite: BenchSuite = {
  description: 'webhook-to-approval-visible and approval-to-mitigation latency over the HTTP API',
  async run({ stack, iterations = 30 }) {
    const target = await startTargetServer();
    const interlock = await startInterlock(stack, { playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
    const toPending: number[] = [];
    const toMitigation: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        const res = await interlock.request('POST', '/v1/alerts/alertmanager', {
          as: 'alertmanager',
          body: alertmanagerWebhook(uniqueGroupKey(`bench-${i}`)),
        });
        const incidentId = res.body.incidentId as string;
        for (;;) {
          const s = await interlock.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' });
          if (s.body.approvals?.[0]?.state === 'pending') break;
          await new Promise((r) => setTimeout(r, 10));
        }
        toPending.push(performance.now() - t0);
        const before = target.requestsTo('/mitigations/restart').length;
        const t1 = performance.now();
        await interlock.request('POST', `/v1/incidents/${incidentId}/approvals/restart-replica-1`, {
          as: 'bob',
          body: { decision: 'approve', reason: 'benchmark' },
        });
        await target.waitFor(() => target.requestsTo('/mitigations/restart').length > before);
        toMitigation.push(performance.now() - t1);
      }
    } finally {
      await interlock.stop();
      await target.close();
    }
    report('webhook_to_approval_pending_p50_ms', percentile(toPending, 50), 'ms', { runs: iterations });
    report('webhook_to_approval_pending_p95_ms', percentile(toPending, 95), 'ms', { runs: iterations });
    report('approve_to_mitigation_p50_ms', percentile(toMitigation, 50), 'ms', { runs: iterations });
    report('approve_to_mitigation_p95_ms', percentile(toMitigation, 95), 'ms', { runs: iterations });
  },
};
