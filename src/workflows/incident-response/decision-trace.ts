import { context, type Context } from '@opentelemetry/api';
import type { ResponseContext } from './state.js';

/**
 * A decision's trace continues into the mitigation it lets run. The decision arrives in an update
 * or signal handler, whose span (made by the tracing interceptor from the gateway's headers) is
 * the active context there; the mitigation is scheduled later, from the workflow's main line,
 * whose context is the run's (the trace of the alert that opened the response). Remembering the
 * deciding handler's context and scheduling the step inside it puts gateway request, client
 * update, update handler, activity scheduling and the activity itself in one trace.
 *
 * Contexts are workflow memory only, never state or commands: replay rebuilds them from the same
 * history headers, and with tracing off (no interceptors bundled) they are the empty root context.
 */
export function rememberDecisionTrace(ctx: ResponseContext, approvalId: string): void {
  ctx.decisionTraces.set(approvalId, context.active());
}

export function inDecisionTrace<T>(ctx: ResponseContext, approvalId: string | undefined, run: () => Promise<T>) {
  const trace: Context | undefined = approvalId ? ctx.decisionTraces.get(approvalId) : undefined;
  return trace ? context.with(trace, run) : run();
}
