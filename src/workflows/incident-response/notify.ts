import type { ActorRef, ApprovalRequest, UnknownEffect } from '../../domain/response/status.js';
import type { Notification, NotificationKind } from '../../domain/notification/notification.js';
import type { DeliveryReport } from '../../domain/notification/delivery.js';
import { NotificationOutbox } from '../shared/notification-outbox.js';
import { describeDeliveries } from '../shared/deliveries.js';
import { sendNotification } from './activities.js';
import { AUTOMATION, now, type ResponseContext } from './state.js';

/** What a notification may carry besides a request: who acted and why, a lost mitigation. */
export interface NotificationExtra {
  actor?: ActorRef;
  reason?: string;
  unknownEffect?: UnknownEffect;
}

/** A structured notification about this response; channels render it at the edge. */
export function notificationFor(
  ctx: ResponseContext,
  kind: NotificationKind,
  approval?: ApprovalRequest,
  extra: NotificationExtra = {},
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
  extra?: NotificationExtra,
): void {
  if (!ctx.outbox) return;
  ctx.outbox.push(notificationFor(ctx, kind, approval, extra));
  ctx.notificationsSent += 1;
}

/** Sends one notification; the Temporal UI shows what it is ("notify tier1: approval.requested …"). */
function send(n: Notification): Promise<DeliveryReport> {
  const about = n.approval ? ` (${n.approval.id})` : '';
  return sendNotification.executeWithOptions({ summary: `notify ${n.recipients[0]?.tier}: ${n.kind}${about}` }, [n]);
}

/** The outbox's failures are audited like those of notifications sent inline. */
export function startOutbox(ctx: ResponseContext): void {
  ctx.outbox = new NotificationOutbox(
    send,
    (n, cause) =>
      ctx.audit.record('notification.failed', {
        actor: AUTOMATION,
        stepId: n.approval?.stepId,
        approvalId: n.approval?.id,
        summary: `Notification ${n.kind} could not be sent: ${cause}`,
        outcome: 'failed',
      }),
    ctx.recordsDeliveries ? (n, report) => recordDeliveries(ctx, n, report) : undefined,
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
  extra?: NotificationExtra,
): Promise<DeliveryReport | undefined> {
  const notification = notificationFor(ctx, kind, approval, extra);
  ctx.notificationsSent += 1;
  try {
    const report = await send(notification);
    if (!ctx.recordsDeliveries) return undefined;
    recordDeliveries(ctx, notification, report);
    return report;
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    ctx.audit.record('notification.failed', {
      actor: AUTOMATION,
      stepId: approval?.stepId,
      approvalId: approval?.id,
      summary: `Notification ${kind} could not be sent: ${cause}`,
      outcome: 'failed',
    });
    return undefined;
  }
}

/**
 * Who was asked, where, and what arrived: on the request (status) and in the audit trail. A
 * failed delivery is its own `notification.failed` event, as a failed send always was.
 */
function recordDeliveries(ctx: ResponseContext, n: Notification, report: DeliveryReport): void {
  const live = n.approval && ctx.status.approvals.find((a) => a.id === n.approval!.id);
  if (live) {
    const recipient = report.recipients[0];
    (live.notified ??= []).push({
      kind: n.kind,
      at: now(),
      tier: recipient?.tier ?? live.tier,
      ...(recipient?.people ? { people: recipient.people } : {}),
      deliveries: report.deliveries,
    });
  }
  // A send that finishes after the closing event (an input that came in at the very end) is on
  // the request only: nothing may follow the closing event in the chain.
  if (ctx.audit.closed) return;
  const { delivered, failed } = describeDeliveries(n, report);
  const about = { actor: AUTOMATION, stepId: n.approval?.stepId, approvalId: n.approval?.id };
  if (delivered) ctx.audit.record('notification.delivered', { ...about, summary: delivered, outcome: 'delivered' });
  for (const summary of failed) ctx.audit.record('notification.failed', { ...about, summary, outcome: 'failed' });
}
