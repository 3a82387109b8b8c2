import { decideUpdate } from '../../src/contracts/incident-response.js';
import { PEOPLE, restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

/**
 * How fast people can stop and steer a response:
 * - opt-out -> mitigation stopped: from sending the opt-out to the target seeing the in-flight
 *   HTTP request aborted;
 * - decision API -> workflow acknowledged, beside a raw `executeUpdate` of the same update on
 *   the same server (the gateway's own overhead), as the median of per-round ratios.
 */
export const controlSuite: BenchSuite = {
  description: 'opt-out-to-halt latency, and decision API latency vs a raw executeUpdate',
  async run({ stack, iterations = 40 }) {
    const target = await startTargetServer();
    target.holdOpen('/mitigations/restart');
    const h = await startInterlock(stack, {
      playbooks: { 'restart.yaml': restartPlaybook(target.url, { mitigationTimeout: '60s' }) },
    });
    const r = responses(h);
    const halts: number[] = [];
    const viaApi: number[] = [];
    const raw: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        // Two responses in the same state: one decided through the gateway, one by a raw update.
        const [a, b] = await Promise.all([
          r.open(`bench-a-${i}`, { labels: { incident_tag: `ctl-a-${i}-${Date.now()}` } }),
          r.open(`bench-b-${i}`, { labels: { incident_tag: `ctl-b-${i}-${Date.now()}` } }),
        ]);
        const [pa, pb] = await Promise.all([r.pendingApproval(a), r.pendingApproval(b)]);
        const useApiFirst = i % 2 === 0; // alternate, so neither side always runs on a warmer server
        const timeApi = async () => {
          const t = performance.now();
          const res = await r.decide(a, pa.id, 'bob', { decision: 'approve', reason: 'benchmark' });
          if (res.status !== 200) throw new Error(`decision answered ${res.status}`);
          viaApi.push(performance.now() - t);
        };
        const timeRaw = async () => {
          const t = performance.now();
          const workflowId = `incident-${b}`;
          const actor = {
            ...PEOPLE.bob,
            roles: [...PEOPLE.bob.roles],
            groups: [...PEOPLE.bob.groups],
            teams: [],
            channel: 'api' as const,
          };
          const input = { approvalId: pb.id, decision: 'approve' as const, reason: 'benchmark', actor };
          // Signed as the gateway signs (the workflow refuses an unsigned approval); no HTTP, no auth.
          const attestation = h.signer.attest(actor, workflowId, decideUpdate.name, input);
          await h.client.workflow
            .getHandle(workflowId)
            .executeUpdate(decideUpdate, { args: [{ ...input, attestation } as typeof input] });
          raw.push(performance.now() - t);
        };
        if (useApiFirst) {
          await timeApi();
          await timeRaw();
        } else {
          await timeRaw();
          await timeApi();
        }

        // Both mitigations are now in flight (held open); halt one with an opt-out.
        await target.waitFor(
          () =>
            target.received.filter((x) => x.path === '/mitigations/restart' && !x.answered && !x.aborted).length >= 2,
        );
        const inFlight = target.received
          .filter((x) => x.path === '/mitigations/restart' && x.body.includes(`ctl-a-${i}-`))
          .at(-1)!;
        const t0 = Date.now();
        const res = await r.post(a, 'opt-out', 'alice', { reason: 'benchmark halt' });
        if (res.status !== 200) throw new Error(`opt-out answered ${res.status}`);
        await target.waitFor(() => inFlight.aborted, 10_000);
        halts.push(inFlight.abortedAt! - t0);
        await Promise.all([
          r.post(a, 'resolve', 'alice', { summary: 'benchmark' }),
          r.post(b, 'resolve', 'alice', { summary: 'benchmark' }),
        ]);
      }
    } finally {
      await h.stop();
      await target.close();
    }
    report('optout_halt_p50_ms', percentile(halts, 50), 'ms', { runs: halts.length });
    report('optout_halt_p99_ms', percentile(halts, 99), 'ms', { runs: halts.length, target: 500 });
    report('decision_api_p50_ms', percentile(viaApi, 50), 'ms', { runs: viaApi.length });
    report('raw_update_p50_ms', percentile(raw, 50), 'ms', { runs: raw.length });
    // Each round times both sides back to back (order alternating), so a round's ratio compares
    // like with like; the median of those ratios is steadier than a ratio of two medians, which
    // swung 1.06-1.41 between runs on one machine as the server's load drifted.
    const ratios = viaApi.map((api, i) => api / raw[i]!);
    report('decision_vs_raw_update_ratio', percentile(ratios, 50), 'ratio', {
      rounds: ratios.length,
      p10: Number(percentile(ratios, 10).toFixed(3)),
      p90: Number(percentile(ratios, 90).toFixed(3)),
      target: 1.2,
    });
  },
};
