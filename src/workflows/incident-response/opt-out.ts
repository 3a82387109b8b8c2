import type { OptOutInput } from '../../domain/response/inputs.js';
import { optOutCovers } from '../../domain/response/safety.js';
import type { OptOutRecord } from '../../domain/response/status.js';
import { queueNotification } from './notify.js';
import { describeScope, now, who, type ResponseContext } from './state.js';

/**
 * Take an opt-out (already validated): record it, withdraw the requests it covers and interrupt
 * what it covers. Shared by the optOut input and by handing over a mitigation of unknown effect.
 */
export function applyOptOut(ctx: ResponseContext, o: OptOutInput): OptOutRecord {
  const { status, audit } = ctx;
  const same = status.optOuts.find(
    (x) => x.active && JSON.stringify(x.scope) === JSON.stringify(o.scope) && x.mode === o.mode,
  );
  if (same) return same; // idempotent: repeating an opt-out changes nothing
  const record: OptOutRecord = {
    // Counted, not the list length: a continued run keeps only the newest released opt-outs.
    id: `optout-${++ctx.optOutsIssued}`,
    scope: o.scope,
    mode: o.mode,
    actor: who(o.actor),
    reason: o.reason,
    at: now(),
    active: true,
  };
  status.optOuts.push(record);
  const event = audit.record('optout.engaged', {
    actor: record.actor,
    reason: o.reason,
    stepId: o.scope.kind === 'step' ? o.scope.stepId : undefined,
    action: o.scope.kind === 'action' ? o.scope.action : undefined,
    summary: `${o.actor.name} opted out of ${describeScope(o.scope)} (${o.mode})`,
    outcome: o.mode,
  });
  queueNotification(ctx, 'optout.engaged', undefined, { actor: record.actor, reason: o.reason });
  if (o.mode === 'hand-over') {
    status.handover = { owner: record.actor, at: record.at, notes: status.handover?.notes ?? [] };
    audit.record('response.handed-over', {
      actor: record.actor,
      reason: o.reason,
      summary: `Response handed over to ${o.actor.name}`,
      causedBy: event.eventId,
    });
  }
  const covered = ctx
    .pendingApprovals()
    .filter((a) => optOutCovers(o.scope, { stepId: a.stepId, action: ctx.stepSpec(a.stepId)?.action ?? '' }));
  for (const approval of covered) {
    approval.state = 'withdrawn';
    audit.record('approval.withdrawn', {
      actor: record.actor,
      approvalId: approval.id,
      stepId: approval.stepId,
      summary: `Request for ${approval.stepId} withdrawn by the opt-out`,
      causedBy: event.eventId,
    });
  }
  if (ctx.running && o.mode !== 'finish-current-step' && optOutCovers(o.scope, ctx.running))
    ctx.interruptRunning(event);
  ctx.publish();
  return record;
}
