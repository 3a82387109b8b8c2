import { allHandlersFinished, CancellationScope, condition, workflowInfo } from '@temporalio/workflow';
import type { IncidentResponseInput } from '../../contracts/incident-response.js';
import { CARRY, continueAsNewDue, trimStatus, type CarriedResponse } from '../../domain/response/long-lived.js';
import type { ResponseContext } from './state.js';

/**
 * Continue-as-new for a long-lived response. Temporal keeps every event of a run's history, and
 * a run that grows past its limits (51,200 events, 50 MB) is terminated; long before that, every
 * replay of a cached-out response reads the whole history. So once Temporal suggests it (or the
 * run passes `continueAsNewAfter`), the response moves to a fresh run under the same workflow ID.
 *
 * Only at a safe point: the main line must be resting in one of its waits (the first alert, an
 * approval or objection window, an opt-out or handover, a guardrail hold), never with a
 * mitigation or any other activity of its own in flight. Then:
 *
 * 1. `cuttingOver` is set: the main line's wait, whenever it wakes, never returns in this run.
 * 2. The audit pump and the outbox are paused; the batch or send that is out is awaited.
 * 3. Once every handler has finished, the state is taken in the same activation that returns
 *    it, so no input can fall between the snapshot and the continue-as-new command. (A signal
 *    that reaches the server while that task completes makes the server refuse the completion;
 *    the task runs again with the signal applied, so it is in the snapshot.)
 *
 * Resolves with the next run's input; the caller continues as new with it. Non-cancellable: an
 * emergency stop reaches the main line (whose wait rejects) and wins the race instead.
 */
export function awaitContinuation(ctx: ResponseContext): Promise<IncidentResponseInput> {
  return CancellationScope.nonCancellable(async () => {
    await condition(
      () => ctx.resting > 0 && !ctx.audit.closed && continueAsNewDue(workflowInfo(), ctx.input.continueAsNewAfter),
    );
    ctx.cuttingOver = true;
    await Promise.all([ctx.audit.pause(), ctx.outbox?.pause()]);
    await condition(allHandlersFinished);
    return nextInput(ctx);
  });
}

/** A continuation that did not happen (the response was stopped meanwhile): send and index again. */
export function abandonContinuation(ctx: ResponseContext): void {
  ctx.audit.resume();
  ctx.outbox?.resume();
}

/** The next run's input: everything this response needs to go on, and no more. */
export function nextInput(ctx: ResponseContext): IncidentResponseInput {
  const { audit, status } = ctx;
  const carried: CarriedResponse = {
    version: 1,
    runs: ctx.runs + 1,
    status: trimStatus(status),
    timeline: audit.indexedTail(CARRY.timeline),
    audit: { ...audit.position, pending: audit.unindexed },
    playbook: ctx.playbook,
    policy: ctx.policy,
    compensations: ctx.compensations,
    stepsRun: ctx.stepsRun,
    resolved: ctx.resolved,
    stopRequest: ctx.stopRequest,
    seenDeliveries: [...ctx.seenDeliveries].slice(-CARRY.deliveryIds),
    notificationsSent: ctx.notificationsSent,
    outbox: ctx.outbox?.queued ?? [],
    recordsDeliveries: ctx.recordsDeliveries,
    nonces: ctx.nonces.entries(),
    controlsVersion: ctx.controlsVersion,
    optOutsIssued: ctx.optOutsIssued,
  };
  // JSON round trip: the input must be plain data, and must not share objects with this run.
  return JSON.parse(JSON.stringify({ ...ctx.input, carried })) as IncidentResponseInput;
}
