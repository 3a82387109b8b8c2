import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from '../clients/telemetry/tracing.js';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { createRetentionActivities } from '../activities/retention.js';
import type { AuditRetention } from '../clients/opensearch/audit-retention.js';
import { defaultMaxCachedWorkflows } from './workflow-cache.js';
import { bundlerOptions, payloadConverterPath, workflowInterceptorModules, workflowsPath } from './workflow-bundle.js';

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
  /** Responses kept in memory between tasks; unset: sized to the heap (workflow-cache.ts). */
  maxCachedWorkflows?: number;
  /** The payload codec (encryption), when configured: the worker's clients must use the same. */
  dataConverter?: DataConverter;
  /** OpenTelemetry (src/clients/telemetry/tracing.ts); unset: no spans leave the worker. */
  tracing?: Tracing;
}

export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    // A prebuilt bundle must have been built with the same payloadConverterPath (global-setup does).
    dataConverter: { ...options.dataConverter, payloadConverterPath },
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath, bundlerOptions }),
    activities: { ...createActivities(options.dependencies), ...createRetentionActivities(options.retention) },
    // Cancellation reaches an activity only in a heartbeat response, and heartbeats are
    // throttled (by default up to 30 s). A 200 ms cap keeps "stop" within a fraction of a second.
    maxHeartbeatThrottleInterval: '200ms',
    maxCachedWorkflows: options.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    ...(options.maxConcurrentActivityTaskExecutions
      ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }
      : {}),
    defaultHeartbeatThrottleInterval: '200ms',
    ...tracingOptions(options.tracing, !options.workflowBundlePath),
    // A response's workflow tasks go to the worker that ran it last (its sticky queue, warm
    // cache). When that worker dies, the server waits this long before handing the task to
    // another one. The default, 10 s, made a decision taken right after a worker crash wait past
    // the gateway's own 10 s deadline (test/chaos/worker-restart.slow.test.ts); 3 s keeps it well
    // inside, and a busy worker that misses it costs one replay elsewhere, not a wrong result.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}

/**
 * Workflow spans are made inside the sandbox and leave it through the `exporter` sink (sinks are
 * not called on replay, so a replayed response exports nothing twice); activity spans continue
 * the context the workflow put in the activity's headers. The workflow interceptors and the sink
 * are there with tracing off too: a run started traced stays traced on replay (its spans are then
 * dropped here), so the worker's settings never change what a workflow does.
 */
function tracingOptions(
  tracing: Tracing | undefined,
  bundleHere: boolean,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      // A prebuilt bundle already holds them (the SDK would warn and ignore them).
      ...(bundleHere ? { workflowModules: workflowInterceptorModules } : {}),
      activity: tracing
        ? [
            (ctx) => ({
              inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
          ]
        : [],
    },
    sinks: { exporter: workflowSpanSink(tracing) },
  };
}

/** Where workflow spans go: the tracing processor, or nowhere while tracing is off. */
export function workflowSpanSink(tracing: Tracing | undefined) {
  return tracing
    ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource)
    : makeWorkflowExporter(new NoopSpanProcessor(), Resource.empty());
}
