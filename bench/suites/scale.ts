import { restartPlaybook, startInterlock, type Interlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

const SMALL = 10;
const SAMPLES = 40;
const OPEN_CONCURRENCY = 40;

/**
 * Does a decision stay fast when many responses wait for approval at once? Decision latency
 * (API -> workflow acknowledged) with 10 responses waiting, then with `--iterations` (default
 * 10,000) waiting, and the worker process's memory at both. The worker, gateway and client run in
 * this process, as the harness runs them; the server is whatever profile the bench was given.
 */
export const scaleSuite: BenchSuite = {
  description: 'decision p95 with 10 vs 10,000 responses awaiting approval, and the worker memory',
  async run({ stack, iterations = 10_000 }) {
    const target = await startTargetServer();
    const h = await startInterlock(stack, {
      // Long enough that nothing expires while the big population is opened.
      playbooks: { 'restart.yaml': restartPlaybook(target.url, { approvalTimeout: '6h' }) },
    });
    const r = responses(h);
    try {
      // With few waiting: rounds of 10 opened, then each decided (timed), until SAMPLES.
      const small: number[] = [];
      for (let round = 0; small.length < SAMPLES; round++) {
        const ids = await openMany(r, SMALL, `small-${round}`);
        await waitAllPending(h, SMALL);
        for (const id of ids) small.push(await timedDecision(r, id));
      }
      const memSmall = process.memoryUsage();

      const started = performance.now();
      const ids = await openMany(r, iterations, 'large');
      await waitAllPending(h, iterations, (n) => console.error(`[bench] scale: ${n}/${iterations} waiting`));
      const openSeconds = (performance.now() - started) / 1000;
      const memLarge = process.memoryUsage();
      // Decide on responses spread over the whole population (old ones are likely out of the
      // worker's cache and must be replayed: that is part of what scale costs).
      const large: number[] = [];
      for (let i = 0; i < SAMPLES; i++)
        large.push(await timedDecision(r, ids[Math.floor((i * ids.length) / SAMPLES)]!));

      const p95Small = percentile(small, 95);
      const p95Large = percentile(large, 95);
      report('decision_p95_ms_at_10', p95Small, 'ms', { samples: small.length });
      report(`decision_p95_ms_at_${iterations}`, p95Large, 'ms', { samples: large.length });
      report('decision_p95_ratio_at_scale', p95Large / p95Small, 'ratio', { waiting: iterations, target: 1.5 });
      report('scale_open_rate_per_s', iterations / openSeconds, 'responses/s', { waiting: iterations });
      report('worker_rss_mb_at_10', memSmall.rss / 2 ** 20, 'MiB');
      report(`worker_rss_mb_at_${iterations}`, memLarge.rss / 2 ** 20, 'MiB', {
        heapUsedMb: Math.round(memLarge.heapUsed / 2 ** 20),
      });
    } finally {
      await terminateAll(h);
      await h.stop();
      await target.close();
    }
  },
};

async function openMany(r: ReturnType<typeof responses>, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += OPEN_CONCURRENCY)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(OPEN_CONCURRENCY, count - i) }, (_, k) =>
          r.open(`scale-${label}-${i + k}`, { labels: { incident_tag: `scale-${label}-${i + k}` } }),
        ),
      )),
    );
  return ids;
}

/** Visibility says how many of this worker's responses wait for approval. */
async function waitAllPending(h: Interlock, count: number, progress?: (n: number) => void) {
  const query = `TaskQueue = '${h.taskQueue}' AND AwaitingApproval = true AND ExecutionStatus = 'Running'`;
  let last = -1;
  for (;;) {
    const { count: n } = await h.client.workflow.count(query);
    if (n >= count) return;
    if (n !== last) progress?.(n);
    last = n;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function timedDecision(r: ReturnType<typeof responses>, id: string): Promise<number> {
  const approval = await r.pendingApproval(id);
  const t = performance.now();
  const res = await r.decide(id, approval.id, 'bob', { decision: 'reject', reason: 'benchmark' });
  const elapsed = performance.now() - t;
  if (res.status !== 200) throw new Error(`decision answered ${res.status}: ${JSON.stringify(res.body)}`);
  return elapsed;
}

/** Leave nothing running on the server: every response this run opened is terminated. */
async function terminateAll(h: Interlock) {
  const query = `TaskQueue = '${h.taskQueue}' AND ExecutionStatus = 'Running'`;
  const open: Array<{ workflowId: string; runId: string }> = [];
  for await (const wf of h.client.workflow.list({ query })) open.push({ workflowId: wf.workflowId, runId: wf.runId });
  for (let i = 0; i < open.length; i += 50)
    await Promise.all(
      open.slice(i, i + 50).map((wf) =>
        h.client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .terminate('benchmark over')
          .catch(() => undefined),
      ),
    );
}
