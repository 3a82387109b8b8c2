import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ConfigHealth } from '../clients/config/reloading-file.js';
import { watchPendingApprovals } from './pending-approvals.js';
import { sdkMetricsReader } from './sdk-metrics.js';
import { createStatusServer } from './status-server.js';

/**
 * The worker's one scrape target, as the worker runs it: the status server (/metrics, /readyz,
 * /healthz) serving its own registry, the pending-approval gauges it polls, and the Temporal
 * SDK's exporter (bound at `sdkMetricsAddress` by Runtime.install, see sdk-metrics.ts).
 */
export function createMetricsEndpoint(options: {
  health: ConfigHealth;
  running: () => boolean;
  sdkMetricsAddress?: string;
  /** Poll visibility for pending approvals of this task queue (intervalMs 0: off). */
  pendingApprovals: { client: Client; taskQueue: string; intervalMs: number };
  log: Logger;
}) {
  const status = createStatusServer({
    health: options.health,
    running: options.running,
    sdkMetrics: options.sdkMetricsAddress ? sdkMetricsReader(options.sdkMetricsAddress) : undefined,
  });
  const { intervalMs } = options.pendingApprovals;
  const pending =
    intervalMs > 0
      ? watchPendingApprovals({ ...options.pendingApprovals, intervalMs, registry: status.registry, log: options.log })
      : undefined;
  return {
    listen: (port: number, host: string) => status.listen(port, host),
    /** Read the pending approvals now (tests; the poll keeps its own pace). */
    pollPendingApprovals: () => pending?.poll() ?? Promise.resolve(),
    async close() {
      pending?.stop();
      await status.close();
    },
  };
}
