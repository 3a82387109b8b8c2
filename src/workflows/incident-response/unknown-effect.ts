import { ActivityFailure, condition, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { redactSecrets, type AuditEvent } from '../../domain/audit/event.js';
import type { PlaybookStep } from '../../domain/playbook/playbook.js';
import type { SettleInput } from '../../domain/response/inputs.js';
import { optOutCovers } from '../../domain/response/safety.js';
import type { ResponseStatus, StepStatus, UnknownEffect } from '../../domain/response/status.js';
import { applyOptOut } from './opt-out.js';
import { notify, queueNotification } from './notify.js';
import { AUTOMATION, now, who, type ResponseContext } from './state.js';

/**
 * A mitigation whose worker is lost (killed, its machine gone) may have changed production,
 * fully, partly or not at all, and nobody can tell from here. Before this patch such a run was
 * recorded as `failed` and the response went on to `completed`; now it waits for a person.
 * Responses recorded before it replay as they ran.
 */
export const LOST_WORKER_PATCH = 'mitigation-effect-unknown';

const OPTIONS: UnknownEffect['options'] = [
  {
    choice: 'retry',
    verified: true,
    does: 'run it again, through every check a start passes (guardrails, opt-outs, policy, approval)',
  },
  { choice: 'mark-done', verified: true, does: 'record that it took effect (checked by a person) and go on' },
  {
    choice: 'hand-over',
    verified: false,
    does: 'hand the response over to a person: nothing more runs until opt-in or resolve (so does any opt-out, resolve or emergency stop)',
  },
];

/** The timeout Temporal reports when the worker running an activity is lost; undefined for any other failure. */
export function lostWorker(err: unknown): TimeoutFailure | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof TimeoutFailure)) return undefined;
  const { timeoutType } = err.cause;
  return timeoutType === 'HEARTBEAT' || timeoutType === 'START_TO_CLOSE' ? err.cause : undefined;
}

/** The open one for this step (or the only open one), if any. */
export function openUnknownEffect(status: ResponseStatus, stepId?: string): UnknownEffect | undefined {
  return status.unknownEffects?.find((u) => u.state === 'open' && (stepId === undefined || u.stepId === stepId));
}

/** Record the loss, tell people through every channel, and show the response as needing a person. */
export async function recordUnknownEffect(
  ctx: ResponseContext,
  step: PlaybookStep,
  view: StepStatus,
  started: AuditEvent,
  timeout: TimeoutFailure,
): Promise<UnknownEffect> {
  const { status, audit } = ctx;
  const cause = timeout.timeoutType === 'HEARTBEAT' ? 'heartbeat-timeout' : 'start-to-close-timeout';
  const detail = timeout.message || `activity ${cause}`;
  const lostAt = now();
  const event = audit.record('mitigation.effect-unknown', {
    actor: AUTOMATION,
    stepId: step.id,
    action: step.action,
    summary:
      `${step.id} (${step.action}) lost with its worker (${cause}): its effect is unknown; ` +
      'it is not retried; waiting for a person to retry, mark it done or take over',
    outcome: 'unknown',
    causedBy: started.eventId,
  });
  const record: UnknownEffect = {
    id: `unknown-${(status.unknownEffects?.length ?? 0) + 1}`,
    stepId: step.id,
    action: step.action,
    title: step.title,
    parameters: (started.parameters ?? redactSecrets(view.params)) as Record<string, unknown>,
    startedAt: view.startedAt ?? started.time,
    lostAt,
    cause,
    detail,
    effect: 'unknown',
    startedEventId: started.eventId,
    eventId: event.eventId,
    options: OPTIONS,
    state: 'open',
  };
  (status.unknownEffects ??= []).push(record);
  view.error = `effect unknown: ${detail}`;
  ctx.setStepState(view, 'needs-human', `effect unknown (${cause}); waiting for a person`);
  ctx.setPhase('needs-human');
  const copy = JSON.parse(JSON.stringify(record)) as UnknownEffect;
  if (ctx.outbox) queueNotification(ctx, 'mitigation.needs-human', undefined, { unknownEffect: copy });
  else await notify(ctx, 'mitigation.needs-human', undefined, { unknownEffect: copy });
  return record;
}

/**
 * Wait for a person (settleMitigation, or any opt-out covering the step, a resolution or an
 * emergency stop), then put the step in its final state. 'retry' sends the caller back through
 * the whole consent gate; nothing here runs the action.
 */
export async function awaitHumanVerdict(
  ctx: ResponseContext,
  step: PlaybookStep,
  view: StepStatus,
  record: UnknownEffect,
): Promise<'retry' | 'settled'> {
  const { status, audit } = ctx;
  const stoppedBy = () =>
    status.optOuts.find((o) => o.active && optOutCovers(o.scope, { stepId: step.id, action: step.action }));
  try {
    await condition(() => record.state !== 'open' || ctx.resolved || stoppedBy() !== undefined);
  } catch (err) {
    if (isCancellation(err)) {
      record.state = 'stopped';
      ctx.setStepState(view, 'failed', 'effect unknown; emergency stop');
    }
    throw err;
  }
  if (record.state === 'open') {
    // Stopped another way: an opt-out (from any channel) or a resolution.
    const optOut = stoppedBy();
    const by = ctx.resolved
      ? { actor: status.resolution!.actor, reason: status.resolution!.summary, at: status.resolution!.at }
      : { actor: optOut!.actor, reason: optOut!.reason, at: optOut!.at };
    record.state = ctx.resolved ? 'resolved' : 'opted-out';
    record.settled = by;
    audit.record('mitigation.left-to-human', {
      actor: by.actor,
      reason: by.reason,
      stepId: step.id,
      action: step.action,
      summary: `${step.id} (effect unknown) left to ${by.actor.name}: ${ctx.resolved ? 'response resolved' : 'opted out'}`,
      causedBy: record.eventId,
    });
  }
  const settled = record.settled!;
  switch (record.state) {
    case 'retried':
      ctx.setStepState(view, 'pending', `retry consented by ${settled.actor.name}: ${settled.reason}`);
      return 'retry';
    case 'marked-done':
      ctx.setStepState(view, 'succeeded', `marked done by ${settled.actor.name}: ${settled.reason}`);
      // Declared in effect: an emergency stop undoes it like any mitigation that succeeded.
      if (step.compensation)
        ctx.compensations.push({ stepId: step.id, action: ctx.renderedAction(step.compensation, view.inputs) });
      return 'settled';
    default:
      ctx.setStepState(view, 'failed', `effect unknown; left to ${settled.actor.name}: ${settled.reason}`);
      return 'settled';
  }
}

/** The settleMitigation input, validated: what the person chose, recorded and acted on. */
export function settle(ctx: ResponseContext, s: SettleInput): UnknownEffect {
  const { audit } = ctx;
  const record = openUnknownEffect(ctx.status, s.stepId)!; // the validator made sure
  const actor = who(s.actor);
  record.settled = { actor, reason: s.reason, at: now() };
  const about = { actor, reason: s.reason, stepId: record.stepId, action: record.action, causedBy: record.eventId };
  if (s.choice === 'hand-over') {
    record.state = 'handed-over';
    audit.record('mitigation.left-to-human', {
      ...about,
      summary: `${record.stepId} (effect unknown) handed over to ${actor.name}`,
    });
    applyOptOut(ctx, { scope: { kind: 'response' }, mode: 'hand-over', reason: s.reason, actor: s.actor });
  } else if (s.choice === 'retry') {
    record.state = 'retried';
    audit.record('mitigation.retry-consented', {
      ...about,
      summary: `${actor.name} consented to run ${record.stepId} again (its first run's effect is unknown)`,
    });
  } else {
    record.state = 'marked-done';
    audit.record('mitigation.marked-done', {
      ...about,
      summary: `${actor.name} marked ${record.stepId} done (its run's effect was unknown)`,
    });
  }
  ctx.publish();
  return record;
}
