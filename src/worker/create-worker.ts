import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { createRetentionActivities } from '../activities/retention.js';
import type { AuditRetention } from '../clients/opensearch/audit-retention.js';
import { bundlerOptions, workflowsPath } from './workflow-bundle.js';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dependencies: ActivityDependencies;
  /** Deletes expired audit indices for the retention schedule (unset: those activities refuse). */
  retention?: AuditRetention;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  /** The payload codec (encryption), when configured: the worker's clients must use the same. */
  dataConverter?: DataConverter;
}

export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath, bundlerOptions }),
    activities: { ...createActivities(options.dependencies), ...createRetentionActivities(options.retention) },
    // Cancellation reaches an activity only in a heartbeat response, and heartbeats are
    // throttled (by default up to 30 s). A 200 ms cap keeps "stop" within a fraction of a second.
    maxHeartbeatThrottleInterval: '200ms',
    ...(options.maxConcurrentActivityTaskExecutions
      ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }
      : {}),
    defaultHeartbeatThrottleInterval: '200ms',
    // A response's workflow tasks go to the worker that ran it last (its sticky queue, warm
    // cache). When that worker dies, the server waits this long before handing the task to
    // another one. The default, 10 s, made a decision taken right after a worker crash wait past
    // the gateway's own 10 s deadline (test/chaos/worker-restart.slow.test.ts); 3 s keeps it well
    // inside, and a busy worker that misses it costs one replay elsewhere, not a wrong result.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}
