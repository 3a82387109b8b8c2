import type { AuditEvent } from '../audit/event.js';
import { liveFacts, reviewRequests } from './requests.js';
import type { DecisionReview, EventRef, IncidentReview, LiveStatus, Unanswered } from './types.js';

export type * from './types.js';
export { requestHistory } from './requests.js';

/**
 * The incident review: one report per incident, built from its audit trail alone (pure, no I/O),
 * so the same facts appear in the console, the Markdown for a postmortem, the PDF and the JSON.
 * A response still open adds what its status says now (`live`), and events its status holds that
 * were not indexed yet.
 */

/** People's inputs, in words (an event of these types by anyone but the automation). */
const VERBS: Partial<Record<string, string>> = {
  'approval.granted': 'approved',
  'approval.rejected': 'rejected',
  'approval.adjusted': 'adjusted',
  'objection.raised': 'objected',
  'optout.engaged': 'opted out',
  'optout.released': 'opted back in',
  'override.applied': 'overrode',
  'response.resolved': 'resolved the response',
  'response.stop-requested': 'requested an emergency stop',
  'mitigation.retry-consented': 'consented to a retry',
  'mitigation.marked-done': 'marked it done',
  'response.note': 'noted',
};
const ANSWERS = new Set(['approval.granted', 'approval.rejected', 'approval.adjusted', 'objection.raised']);
const STEP_ENDS = new Set([
  'mitigation.succeeded',
  'mitigation.failed',
  'mitigation.cancelled',
  'mitigation.effect-unknown',
  'mitigation.blocked',
  'mitigation.simulated',
  'step.skipped',
]);
/** Notifications that ask for an answer (not those saying a request was decided or expired). */
const ASKING = new Set(['approval.requested', 'approval.reminder', 'approval.escalated', 'objection.window-opened']);
/** Follow-ups worth reading: delivery receipts are in the requests section. */
const NOISE = new Set(['notification.delivered', 'notification.failed', 'policy.decided']);
const FOLLOW_UPS = 4;

const isHuman = (e: AuditEvent) => e.actor.channel !== 'system' && VERBS[e.type] !== undefined;
const isResolution = (e: AuditEvent) =>
  ((e.type === 'alert.joined' || e.type === 'response.opened') && e.outcome === 'resolved') ||
  e.type === 'response.resolved';

/** Events in the order they happened; the status's newest page fills in what is not indexed yet. */
export function mergeEvents(stored: AuditEvent[], live?: AuditEvent[]): AuditEvent[] {
  const byId = new Map(stored.map((e) => [e.eventId, e]));
  for (const e of live ?? []) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
  return [...byId.values()].sort(
    (a, b) => a.time.localeCompare(b.time) || a.sequence - b.sequence || a.eventId.localeCompare(b.eventId),
  );
}

export function buildIncidentReview(stored: AuditEvent[], options: { now: Date; status?: LiveStatus }): IncidentReview {
  const events = mergeEvents(stored, options.status?.timeline);
  if (events.length === 0) throw new Error('an incident review needs at least one event');
  const first = events[0]!;
  const opened = events.find((e) => e.type === 'response.opened') ?? first;
  const openedMs = Date.parse(opened.time);
  const ref = (e: AuditEvent): EventRef => ({
    eventId: e.eventId,
    type: e.type,
    time: e.time,
    offsetMs: Date.parse(e.time) - openedMs,
    summary: e.summary,
    ...(e.stepId ? { stepId: e.stepId } : {}),
    ...(e.outcome ? { outcome: e.outcome } : {}),
  });
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const closing = events.findLast((e) => e.type === 'response.completed' || e.type === 'response.cancelled');
  // A later response of the same incident (a restart) reopens it.
  const ended = closing && !events.some((e) => e.type === 'response.opened' && e.time > closing.time);

  const requests = reviewRequests(events, ref, Boolean(ended));
  const requestOf = new Map(requests.map((r) => [r.approvalId, r]));
  const firstDelivered = events.find((e) => e.type === 'notification.delivered');

  const decisions: DecisionReview[] = [];
  events.forEach((e, i) => {
    if (!isHuman(e)) return;
    const next = events[i + 1];
    // An adjustment is part of the decision that follows it (same person, same request).
    if (
      e.type === 'approval.adjusted' &&
      next &&
      ANSWERS.has(next.type) &&
      next.approvalId === e.approvalId &&
      next.actor.id === e.actor.id
    )
      return;
    const previous = events[i - 1];
    const adjusted =
      previous?.type === 'approval.adjusted' &&
      previous.approvalId === e.approvalId &&
      previous.actor.id === e.actor.id &&
      e.type !== 'approval.adjusted'
        ? previous.parameters
        : e.type === 'approval.adjusted'
          ? e.parameters
          : undefined;
    const at = Date.parse(e.time);
    // The request it answered: its own, the one its opt-out withdrew, or its step's latest.
    const withdrawn = events.find((x) => x.type === 'approval.withdrawn' && x.causedBy === e.eventId);
    const approvalId =
      e.approvalId ??
      withdrawn?.approvalId ??
      (e.stepId ? requests.findLast((r) => r.stepId === e.stepId && r.requestedAt <= e.time)?.approvalId : undefined);
    const request = approvalId ? requestOf.get(approvalId) : undefined;
    const firstNotice = request?.notifications[0]?.time ?? (request ? undefined : firstDelivered?.time);
    const caused = events.filter((x) => x.causedBy === e.eventId);
    const after = events.slice(i + 1).filter((x) => !NOISE.has(x.type) && !caused.includes(x));
    const stepId = e.stepId ?? request?.stepId;
    const stepEnd = stepId ? events.slice(i + 1).find((x) => x.stepId === stepId && STEP_ENDS.has(x.type)) : undefined;
    const resolved = events.slice(i + 1).find(isResolution);
    decisions.push({
      eventId: e.eventId,
      type: e.type,
      verb: VERBS[e.type]!,
      actor: { id: e.actor.id, name: e.actor.name, channel: e.actor.channel },
      time: e.time,
      ...(e.reason ? { reason: e.reason } : {}),
      ...(approvalId ? { approvalId } : {}),
      ...(stepId ? { stepId } : {}),
      ...(adjusted ? { adjustedInputs: adjusted } : {}),
      ...(e.parameters && Object.keys(e.parameters).length && e.type !== 'approval.adjusted'
        ? { inputs: e.parameters }
        : {}),
      sinceOpenedMs: at - openedMs,
      ...(request ? { sinceRequestMs: at - Date.parse(request.requestedAt) } : {}),
      ...(firstNotice && firstNotice <= e.time ? { sinceFirstNotificationMs: at - Date.parse(firstNotice) } : {}),
      followedBy: [...caused, ...after.slice(0, Math.max(0, FOLLOW_UPS - caused.length))].map(ref),
      ...(stepEnd ? { stepOutcome: ref(stepEnd) } : {}),
      ...(resolved ? { resolvedAfter: { ...ref(resolved), afterMs: Date.parse(resolved.time) - at } } : {}),
    });
  });

  const actors = new Set(events.filter(isHuman).map((e) => e.actor.id));
  const unanswered: Unanswered[] = [];
  for (const r of requests) {
    const answered = new Set(
      events.filter((e) => e.approvalId === r.approvalId && ANSWERS.has(e.type)).map((e) => e.actor.id),
    );
    const seen = new Set<string>();
    for (const n of r.notifications.filter((x) => ASKING.has(x.kind)))
      for (const person of n.people) {
        if (answered.has(person) || seen.has(person)) continue;
        seen.add(person);
        unanswered.push({
          person,
          approvalId: r.approvalId,
          ...(r.stepId ? { stepId: r.stepId } : {}),
          firstNotifiedAt: n.time,
          requestOutcome: r.outcome,
          actedElsewhere: actors.has(person),
        });
      }
  }

  const status = options.status;
  return {
    incidentId: first.incidentId,
    title: status?.title ?? opened.summary.replace(/^Response opened( \(dry run\))?: /, ''),
    service: first.service,
    environment: first.environment,
    severity: first.severity,
    generatedAt: options.now.toISOString(),
    openedAt: opened.time,
    ...(ended ? { endedAt: closing.time, durationMs: Date.parse(closing.time) - openedMs } : {}),
    outcome: ended ? (closing.outcome ?? closing.type) : 'open',
    timeline: events.map((e) => ({
      ...ref(e),
      actor: { id: e.actor.id, name: e.actor.name, channel: e.actor.channel },
      ...(e.reason ? { reason: e.reason } : {}),
      human: isHuman(e),
    })),
    requests,
    decisions,
    unanswered,
    guardrailBlocks: events.filter((e) => e.type === 'mitigation.blocked' || e.type === 'guardrail.halted').map(ref),
    compensations: events
      .filter((e) => e.type === 'mitigation.compensated' || e.type === 'mitigation.compensation-failed')
      .map((e) => {
        const cause = e.causedBy ? byId.get(e.causedBy) : undefined;
        return { ...ref(e), ok: e.type === 'mitigation.compensated', ...(cause ? { cause: ref(cause) } : {}) };
      }),
    alerts: events.filter((e) => e.type === 'response.opened' || e.type === 'alert.joined').map(ref),
    ...(status && !ended ? { live: liveFacts(status) } : {}),
  };
}
