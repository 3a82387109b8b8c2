import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import { redactSecrets, type AuditEvent } from '../../domain/audit/event.js';
import type { PlaybookStep } from '../../domain/playbook/playbook.js';
import type { StepStatus } from '../../domain/response/status.js';
import { actionSummary } from '../../domain/playbook/action-summary.js';
import { actionRunner } from './activities.js';
import { AUTOMATION, now, type ResponseContext } from './state.js';
import { LOST_WORKER_PATCH, lostWorker, recordUnknownEffect } from './unknown-effect.js';

/**
 * Dry runs that also leave read-only steps alone unless the playbook marks them safeInDryRun.
 * Responses recorded before it ran every diagnostic for real, and replay so.
 */
export const DRY_RUN_READS_PATCH = 'dry-run-safe-steps-only';

/** effect-unknown: its worker was lost; the caller waits for a person (see unknown-effect.ts). */
export type StepOutcome = 'done' | 'stopped-by-guardrail' | 'effect-unknown';

/** Run one action as an activity in its own scope, so an opt-out can interrupt just it. */
export async function runStep(
  ctx: ResponseContext,
  step: PlaybookStep,
  view: StepStatus,
  causedBy?: string,
  consentTier?: string,
): Promise<StepOutcome> {
  const { audit } = ctx;
  const isMitigation = step.kind === 'mitigation';
  const action = ctx.renderedAction(step, view.inputs);
  const parameters = redactSecrets(action.params) as Record<string, unknown>;
  view.startedAt = now();
  ctx.stepsRun.push(step.id);
  if (isMitigation && ctx.dryRun) {
    ctx.setStepState(view, 'simulated', 'dry run: not executed');
    view.endedAt = view.startedAt;
    audit.record('mitigation.simulated', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      parameters,
      summary: `Dry run: would have run ${step.id} (${step.action})`,
      causedBy,
    });
    return 'done';
  }
  // A diagnostic reads production too (a query against a loaded database, a command on a host):
  // a rehearsal asks before it does that, through the playbook's safeInDryRun.
  if (!isMitigation && ctx.dryRun && !step.safeInDryRun && patched(DRY_RUN_READS_PATCH)) {
    ctx.setStepState(view, 'simulated', 'dry run: not executed (the playbook does not mark it safeInDryRun)');
    view.endedAt = view.startedAt;
    audit.record('step.simulated', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      parameters,
      summary: `Dry run: would have run ${step.kind} ${step.id} (${step.action}); not marked safe in a dry run`,
      causedBy,
    });
    return 'done';
  }
  ctx.setStepState(view, 'running');
  const started = audit.record(isMitigation ? 'mitigation.started' : 'step.started', {
    actor: AUTOMATION,
    stepId: step.id,
    action: step.action,
    parameters,
    summary: `${step.kind} ${step.id} started (${step.action})`,
    causedBy,
  });
  // A lost mitigation waits for a person (responses recorded before that replay as they ran).
  const detectsLoss = isMitigation && patched(LOST_WORKER_PATCH);
  const scope = new CancellationScope();
  ctx.running = { stepId: step.id, action: step.action, scope };
  ctx.haltedBy = undefined;
  try {
    const request = {
      incidentId: ctx.input.incidentId,
      stepId: step.id,
      kind: step.kind,
      guard: ctx.factsFor(step),
      consentTier,
      ...action,
    };
    view.output = await scope.run(() =>
      actionRunner(step.kind, action, actionSummary(step.id, action), detectsLoss)(request),
    );
    ctx.setStepState(view, 'succeeded');
    if (isMitigation && step.compensation)
      ctx.compensations.push({ stepId: step.id, action: ctx.renderedAction(step.compensation, view.inputs) });
    audit.record(isMitigation ? 'mitigation.succeeded' : 'step.succeeded', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      summary: `${step.kind} ${step.id} succeeded`,
      outcome: 'succeeded',
      causedBy: started.eventId,
    });
    return 'done';
  } catch (err) {
    // Checked first: a halt or stop sent while the worker was already gone also ends as a
    // timeout (nobody confirmed the cancellation), and the effect is just as unknown.
    const lost = detectsLoss ? lostWorker(err) : undefined;
    if (lost) {
      await recordUnknownEffect(ctx, step, view, started, lost);
      return 'effect-unknown';
    }
    return classifyFailure(ctx, step, view, started, err);
  } finally {
    ctx.running = undefined;
    view.endedAt = now();
  }
}

/**
 * Why a step did not succeed, recorded: refused or interrupted by a guardrail (decided again once
 * it lifts), interrupted by a person (opt-out, resolve, emergency stop), or failed.
 */
function classifyFailure(
  ctx: ResponseContext,
  step: PlaybookStep,
  view: StepStatus,
  started: AuditEvent,
  err: unknown,
): StepOutcome {
  const { audit } = ctx;
  const isMitigation = step.kind === 'mitigation';
  view.error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  const haltedBy = ctx.haltedBy;
  const guardrailFailure =
    err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
  if (guardrailFailure?.type === 'BlockedByGuardrail') {
    audit.record('mitigation.blocked', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      summary: `${step.id} refused at start: ${guardrailFailure.message}`,
      causedBy: started.eventId,
    });
    return 'stopped-by-guardrail';
  }
  if (guardrailFailure?.type === 'InterruptedByGuardrail') {
    // The worker stopped it in-process, possibly before this response's own signal arrived.
    const halted =
      haltedBy?.type === 'guardrail.halted'
        ? haltedBy
        : audit.record('guardrail.halted', {
            actor: AUTOMATION,
            stepId: step.id,
            action: step.action,
            summary: `${step.id} interrupted: ${guardrailFailure.message}`,
          });
    ctx.setStepState(view, 'cancelled', halted.summary);
    audit.record('mitigation.cancelled', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      summary: `${step.kind} ${step.id} interrupted`,
      outcome: 'cancelled',
      causedBy: halted.eventId,
    });
    return 'stopped-by-guardrail';
  }
  if (isCancellation(err)) {
    const cause = haltedBy ?? ctx.stopRequest?.event;
    ctx.setStepState(view, 'cancelled', cause?.summary);
    audit.record(isMitigation ? 'mitigation.cancelled' : 'step.failed', {
      actor: cause?.actor ?? AUTOMATION,
      stepId: step.id,
      action: step.action,
      summary: `${step.kind} ${step.id} interrupted${haltedBy ? '' : ' by the emergency stop'}`,
      outcome: 'cancelled',
      causedBy: cause?.eventId ?? started.eventId,
    });
    // An opt-out cancelled only this step's scope; a workflow cancel must keep unwinding.
    if (CancellationScope.current().consideredCancelled) throw err;
    return haltedBy?.type === 'guardrail.halted' ? 'stopped-by-guardrail' : 'done';
  }
  ctx.setStepState(view, 'failed', view.error);
  audit.record(isMitigation ? 'mitigation.failed' : 'step.failed', {
    actor: AUTOMATION,
    stepId: step.id,
    action: step.action,
    summary: `${step.kind} ${step.id} failed: ${view.error}`,
    outcome: 'failed',
    causedBy: started.eventId,
  });
  return 'done';
}

/** Saga: undo succeeded mitigations newest-first. Runs only in a non-cancellable scope. */
export async function compensate(ctx: ResponseContext, cause: AuditEvent): Promise<void> {
  const { audit } = ctx;
  for (const c of [...ctx.compensations].reverse()) {
    if (ctx.dryRun) {
      audit.record('mitigation.simulated', {
        actor: AUTOMATION,
        stepId: c.stepId,
        action: c.action.action,
        summary: `Dry run: would have compensated ${c.stepId}`,
        causedBy: cause.eventId,
      });
      continue;
    }
    try {
      await actionRunner(
        'mitigation',
        c.action,
        actionSummary(`${c.stepId} (undo)`, c.action),
      )({ incidentId: ctx.input.incidentId, stepId: `${c.stepId}:compensation`, kind: 'compensation', ...c.action });
      audit.record('mitigation.compensated', {
        actor: AUTOMATION,
        stepId: c.stepId,
        action: c.action.action,
        parameters: redactSecrets(c.action.params) as Record<string, unknown>,
        summary: `Compensation for ${c.stepId} ran`,
        causedBy: cause.eventId,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      audit.record('mitigation.compensation-failed', {
        actor: AUTOMATION,
        stepId: c.stepId,
        action: c.action.action,
        summary: `Compensation for ${c.stepId} failed: ${message}`,
        causedBy: cause.eventId,
      });
    }
  }
}
