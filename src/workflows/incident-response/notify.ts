import type { ActorRef, ApprovalRequest } from '../../domain/response/status.js';
import type { Notification, NotificationKind } from '../../domain/notification/notification.js';
import { NotificationOutbox } from '../shared/notification-outbox.js';
import { sendNotification } from './activities.js';
import { AUTOMATION, now, type ResponseContext } from './state.js';

/** A structured notification about this response; channels render it at the edge. */
export function notificationFor(
  ctx: ResponseContext,
  kind: NotificationKind,
  approval?: ApprovalRequest,
  extra: { actor?: ActorRef; reason?: string } = {},
): Notification {
  const { status } = ctx;
  // Deterministic id: the same notification gets the same id on a retry or a replay.
  const sequence = ctx.notificationsSent + 1;
  return {
    kind,
    id: `${ctx.workflowId}:notification:${sequence}`,
    incidentId: status.incidentId,
    workflowId: ctx.workflowId,
    title: status.title,
    service: status.service,
    environment: status.environment,
    severity: status.severity,
    dryRun: ctx.dryRun,
    at: now(),
    // A copy: the request keeps changing after this is sent.
    approval: approval ? (JSON.parse(JSON.stringify(approval)) as ApprovalRequest) : undefined,
    // Who is asked decides a request; everything else concerns whoever responds to the incident.
    recipients: [{ tier: approval?.tier ?? 'responders' }],
    ...extra,
  };
}

/**
 * Queue a notification raised by a handler or by an outcome (decided, expired, opted out): sent
 * in the background by the response's outbox. Responses that began before the outbox existed
 * have none and send only what they always sent (their histories must replay unchanged).
 */
export function queueNotification(
  ctx: ResponseContext,
  kind: NotificationKind,
  approval?: ApprovalRequest,
  extra?: { actor?: ActorRef; reason?: string },
): void {
  if (!ctx.outbox) return;
  ctx.outbox.push(notificationFor(ctx, kind, approval, extra));
  ctx.notificationsSent += 1;
}

/** The outbox's failures are audited like those of notifications sent inline. */
export function startOutbox(ctx: ResponseContext): void {
  ctx.outbox = new NotificationOutbox(sendNotification, (n, cause) =>
    ctx.audit.record('notification.failed', {
      actor: AUTOMATION,
      stepId: n.approval?.stepId,
      approvalId: n.approval?.id,
      summary: `Notification ${n.kind} could not be sent: ${cause}`,
      outcome: 'failed',
    }),
  );
  ctx.outbox.start();
}

/**
 * Send one notification. Best effort: a channel that cannot be reached must not stall the
 * response. Its failure is audited as its own event type, after the activity's few retries.
 */
export async function notify(
  ctx: ResponseContext,
  kind: NotificationKind,
  approval?: ApprovalRequest,
  extra?: { actor?: ActorRef; reason?: string },
): Promise<void> {
  const notification = notificationFor(ctx, kind, approval, extra);
  ctx.notificationsSent += 1;
  try {
    await sendNotification(notification);
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    ctx.audit.record('notification.failed', {
      actor: AUTOMATION,
      stepId: approval?.stepId,
      approvalId: approval?.id,
      summary: `Notification ${kind} could not be sent: ${cause}`,
      outcome: 'failed',
    });
  }
}
