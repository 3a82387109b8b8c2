import type { AuditEvent } from '../audit/event.js';
import { parseDelivered } from './notified.js';
import type { EventRef, LiveFacts, LiveStatus, Notified, RequestReview } from './types.js';

/** How a request ended, by the event that ended it (an approval completing its quorum: granted). */
const REQUEST_ENDS: Record<string, string> = {
  'approval.rejected': 'rejected',
  'objection.raised': 'rejected',
  'approval.expired': 'expired',
  'approval.withdrawn': 'withdrawn',
  'approval.voided': 'void',
  'objection.window-passed': 'passed',
};

/** One line of a request's history, in time order: each notification, reminder and escalation. */
export function requestHistory(q: RequestReview): Array<{ time: string; text: string }> {
  return [
    ...q.notifications.map((n) => ({
      time: n.time,
      text: `${n.kind} to tier ${n.tier}: ${n.people.join(', ') || 'nobody on call'} (${n.sent.map((s) => `${s.channel} to ${s.to}`).join(', ')})`,
    })),
    ...q.reminders.map((time) => ({ time, text: 'reminder due' })),
    ...q.escalations.map((e) => ({ time: e.time, text: `escalated: ${e.summary}` })),
  ].sort((a, b) => a.time.localeCompare(b.time));
}

export function reviewRequests(
  events: AuditEvent[],
  ref: (e: AuditEvent) => EventRef,
  ended: boolean,
): RequestReview[] {
  const requests: RequestReview[] = [];
  for (const e of events) {
    if ((e.type !== 'approval.requested' && e.type !== 'objection.window-opened') || !e.approvalId) continue;
    const own = events.filter((x) => x.approvalId === e.approvalId);
    const notifications = own.flatMap((x): Notified[] => {
      const line = x.type === 'notification.delivered' ? parseDelivered(x.summary) : undefined;
      return line ? [{ time: x.time, kind: line.kind, tier: line.tier, people: line.people, sent: line.sent }] : [];
    });
    // The last word on the request: an approval that completed its quorum, or an ending.
    const end = own.findLast(
      (x) => REQUEST_ENDS[x.type] !== undefined || (x.type === 'approval.granted' && x.outcome === 'approved'),
    );
    requests.push({
      approvalId: e.approvalId,
      ...(e.stepId ? { stepId: e.stepId } : {}),
      kind: e.type === 'approval.requested' ? 'approval' : 'objection',
      requestedAt: e.time,
      ...(e.parameters ? { parameters: e.parameters } : {}),
      notifications,
      reminders: own.filter((x) => x.type === 'approval.reminded').map((x) => x.time),
      escalations: own.filter((x) => x.type === 'approval.escalated').map(ref),
      outcome: end ? (REQUEST_ENDS[end.type] ?? 'granted') : ended ? 'never decided' : 'pending',
      ...(end ? { closedAt: end.time } : {}),
    });
  }
  return requests;
}

export function liveFacts(status: LiveStatus): LiveFacts {
  return {
    phase: status.phase,
    waitingFor: status.approvals
      .filter((a) => a.state === 'pending')
      .map((a) => ({
        approvalId: a.id,
        stepId: a.stepId,
        tier: a.tier,
        expiresAt: a.expiresAt,
        people: [...new Set((a.notified ?? []).flatMap((n) => n.people ?? []))],
      })),
    blockedBy: status.blockedBy ?? [],
  };
}
