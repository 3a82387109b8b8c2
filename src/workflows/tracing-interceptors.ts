// Not a workflow: the workflow interceptors every worker bundles (src/worker/workflow-bundle.ts).
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * OpenTelemetry's workflow interceptors, on for exactly the runs that were started traced.
 *
 * The interceptors wrap handlers and activity scheduling in async spans, which moves when an
 * update completes relative to the commands around it: a response recorded without them fails
 * replay with them ("Activity machine does not handle this event: WorkflowExecutionUpdateCompleted",
 * test/unit/replay.test.ts shows it), and one recorded with them fails without them. So whether
 * they run must come from the history, never from the worker's configuration: a run is traced
 * when its start carried trace context (the gateway or the worker's client had tracing on), and
 * stays so for its whole life, whatever the worker's OTEL settings are when it replays. Turning
 * tracing on or off therefore never breaks a running response; responses opened before it was
 * turned on are traced up to the Temporal client only.
 *
 * One instance set per workflow run (the SDK calls `interceptors` once per run), so `traced`
 * is per run even when workflows share a V8 context.
 */
export const interceptors = (): WorkflowInterceptors => {
  let traced = false;
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  const internals = new OpenTelemetryInternalsInterceptor();
  const gatedInbound: WorkflowInboundCallsInterceptor = {
    // The run's first call (before any signal or update is delivered to a handler).
    execute(input, next) {
      traced = TRACE_HEADER in input.headers;
      return traced ? inbound.execute(input, next) : next(input);
    },
    handleSignal: (input, next) => (traced ? inbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (traced ? inbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (traced ? inbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (traced ? inbound.handleQuery(input, next) : next(input)),
  };
  const gatedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (traced ? outbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (traced ? outbound.scheduleLocalActivity(input, next) : next(input)),
    startNexusOperation: (input, next) => (traced ? outbound.startNexusOperation(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) =>
      traced ? outbound.startChildWorkflowExecution(input, next) : next(input),
    continueAsNew: (input, next) => (traced ? outbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (traced ? outbound.signalWorkflow(input, next) : next(input)),
    getLogAttributes: (input, next) => (traced ? outbound.getLogAttributes(input, next) : next(input)),
    getMetricTags: (input, next) => (traced ? outbound.getMetricTags(input, next) : next(input)),
  };
  const gatedInternals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => (traced ? internals.dispose(input, next) : next(input)),
  };
  return { inbound: [gatedInbound], outbound: [gatedOutbound], internals: [gatedInternals] };
};
