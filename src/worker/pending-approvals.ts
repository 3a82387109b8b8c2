import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { PENDING_APPROVAL_METRICS } from '../contracts/metrics.js';
import { ApprovalPendingSinceKey } from '../contracts/search-attributes.js';

/** Age thresholds (seconds) of the "waiting longer than" gauge: a minute up to four hours. */
export const PENDING_AGE_THRESHOLDS = [60, 300, 900, 3600, 14400] as const;
/** The oldest request is looked for among at most this many responses (one visibility page). */
const OLDEST_SCAN_LIMIT = 1000;

/**
 * How many approval requests are open, and for how long, read from Temporal's visibility store.
 *
 * Why visibility and not a counter kept by the workflows: a gauge of "open now" kept by
 * increments and decrements drifts with every worker restart, replay or lost emission, and each
 * worker would only see the responses it happens to hold in cache. The visibility store is the
 * cluster-wide truth the Temporal UI filters on: every response upserts `AwaitingApproval` and
 * `ApprovalPendingSince` (the oldest open request) as its approvals change.
 *
 * Only count queries run each poll (cheap on SQL and Elasticsearch visibility alike, which has no
 * ORDER BY); the oldest age is looked for only among responses past the largest threshold any
 * response exceeds. Every worker of a task queue reports the same cluster-wide value: aggregate
 * with `max` (the dashboard does), never `sum`. Set PENDING_APPROVALS_POLL_SECONDS=0 on all but a
 * few workers to spare visibility when many run.
 */
export function watchPendingApprovals(options: {
  client: Client;
  taskQueue: string;
  registry: Registry;
  intervalMs: number;
  log: Logger;
}) {
  const { client, taskQueue, registry, log } = options;
  // `taskQueue`, as the SDK tags the workflows' counters: one dashboard variable for all of Interlock's.
  const labels = { taskQueue };
  let oldest: number | undefined;
  const pending = new Gauge({
    name: PENDING_APPROVAL_METRICS.pending,
    help: 'Responses waiting for an approval decision (visibility: AwaitingApproval), cluster-wide for the task queue',
    labelNames: ['taskQueue'],
    registers: [registry],
  });
  const olderThan = new Gauge({
    name: PENDING_APPROVAL_METRICS.pendingOlderThan,
    help: 'Responses whose oldest open approval request is older than `seconds`',
    labelNames: ['taskQueue', 'seconds'],
    registers: [registry],
  });
  new Gauge({
    name: PENDING_APPROVAL_METRICS.oldestAge,
    help: 'Age of the oldest open approval request (0 when none), as of now',
    labelNames: ['taskQueue'],
    registers: [registry],
    collect() {
      // Computed at scrape time from the last poll, so the age keeps growing between polls.
      this.set(labels, oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  const observed = new Gauge({
    name: PENDING_APPROVAL_METRICS.lastObserved,
    help: 'When the pending-approval gauges were last read from visibility (unix seconds): alert if it stalls',
    labelNames: ['taskQueue'],
    registers: [registry],
  });

  const base = `WorkflowType = 'incidentResponse' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replaceAll("'", "\\'")}' AND AwaitingApproval = true`;
  const before = (ms: number) => `${base} AND ${ApprovalPendingSinceKey.name} < '${new Date(ms).toISOString()}'`;

  async function poll(): Promise<void> {
    const now = Date.now();
    const [total, ...byAge] = await Promise.all([
      client.workflow.count(base),
      ...PENDING_AGE_THRESHOLDS.map((s) => client.workflow.count(before(now - s * 1000))),
    ]);
    pending.set(labels, total.count);
    PENDING_AGE_THRESHOLDS.forEach((s, i) => olderThan.set({ ...labels, seconds: String(s) }, byAge[i]!.count));
    // The oldest is among those past the largest threshold anyone exceeds (usually a handful).
    const deepest = [...PENDING_AGE_THRESHOLDS.keys()].reverse().find((i) => byAge[i]!.count > 0);
    const query = deepest === undefined ? base : before(now - PENDING_AGE_THRESHOLDS[deepest]! * 1000);
    let min: number | undefined;
    if (total.count > 0) {
      let seen = 0;
      for await (const execution of client.workflow.list({ query, pageSize: OLDEST_SCAN_LIMIT })) {
        const since = execution.typedSearchAttributes.get(ApprovalPendingSinceKey);
        if (since) min = Math.min(min ?? Infinity, since.getTime());
        if (++seen >= OLDEST_SCAN_LIMIT) break;
      }
    }
    oldest = min;
    observed.set(labels, now / 1000);
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = async () => {
    try {
      await poll();
    } catch (err) {
      // The gauges keep their last values; the observed timestamp stalls, which is what to alert on.
      log.warn({ err }, 'pending approvals: visibility query failed');
    }
    if (!stopped) timer = setTimeout(() => void loop(), options.intervalMs).unref();
  };
  void loop();
  return {
    /** One poll now (tests; the loop keeps its own pace). */
    poll,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
