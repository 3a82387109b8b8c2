import type { AuditEvent } from '../audit/event.js';
import { parseDelivered } from './notified.js';

/**
 * The incident review: one report per incident, built from its audit trail alone (pure, no I/O),
 * so the same facts appear in the console, the Markdown for a postmortem, the PDF and the JSON.
 * A response still open adds what its status says now (`live`), and events its status holds that
 * were not indexed yet.
 */
export interface IncidentReview {
  incidentId: string;
  title: string;
  service: string;
  environment: string;
  severity: string;
  generatedAt: string;
  openedAt: string;
  /** The closing event's time (response.completed or response.cancelled); absent while open. */
  endedAt?: string;
  /** How it ended (the closing event's outcome), or "open". */
  outcome: string;
  durationMs?: number;
  timeline: TimelineEntry[];
  requests: RequestReview[];
  decisions: DecisionReview[];
  unanswered: Unanswered[];
  guardrailBlocks: EventRef[];
  compensations: Compensation[];
  /** Alert deliveries: firing, joined, resolved. */
  alerts: EventRef[];
  live?: LiveFacts;
}

export interface Who {
  id: string;
  name: string;
  channel: string;
}

export interface EventRef {
  eventId: string;
  type: string;
  time: string;
  /** Since the response opened. */
  offsetMs: number;
  summary: string;
  stepId?: string;
  outcome?: string;
}

export interface TimelineEntry extends EventRef {
  actor: Who;
  reason?: string;
  /** A person's input (not the automation's). */
  human: boolean;
}

export interface Notified {
  time: string;
  kind: string;
  tier: string;
  people: string[];
  sent: Array<{ channel: string; to: string }>;
}

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

export interface RequestReview {
  approvalId: string;
  stepId?: string;
  kind: 'approval' | 'objection';
  requestedAt: string;
  parameters?: Record<string, unknown>;
  notifications: Notified[];
  reminders: string[];
  escalations: EventRef[];
  /** granted, rejected, expired, withdrawn, void, passed (objection window), pending, or never decided (the response ended). */
  outcome: string;
  closedAt?: string;
}

export interface DecisionReview {
  eventId: string;
  type: string;
  /** What the person did, in words: approved, rejected, opted out, … */
  verb: string;
  actor: Who;
  time: string;
  reason?: string;
  approvalId?: string;
  stepId?: string;
  /** Inputs the person changed with this decision (approval.adjusted just before it). */
  adjustedInputs?: Record<string, unknown>;
  /** The inputs the decision was about (the request's, after any adjustment). */
  inputs?: Record<string, unknown>;
  sinceOpenedMs: number;
  /** Since the request it answered (approval decisions, and opt-outs that withdrew one). */
  sinceRequestMs?: number;
  /** Since the first notification about that request (else the first one of the incident). */
  sinceFirstNotificationMs?: number;
  /** Events it caused and the next few after it. */
  followedBy: EventRef[];
  /** What became of its step: the mitigation's end, the step skipped, a block. */
  stepOutcome?: EventRef;
  /** The alerts resolving (or the response resolved) after it. */
  resolvedAfter?: EventRef & { afterMs: number };
}

export interface Unanswered {
  person: string;
  approvalId: string;
  stepId?: string;
  firstNotifiedAt: string;
  /** What became of the request meanwhile. */
  requestOutcome: string;
  /** Whether the person did anything else in this incident. */
  actedElsewhere: boolean;
}

export interface Compensation extends EventRef {
  ok: boolean;
  /** The event that set it off (the emergency stop, a failure). */
  cause?: EventRef;
}

export interface LiveFacts {
  phase: string;
  waitingFor: Array<{ approvalId: string; stepId: string; tier: string; expiresAt: string; people: string[] }>;
  blockedBy: string[];
}

/** The part of the status view the review uses (ResponseStatus satisfies it). */
export interface LiveStatus {
  phase: string;
  title?: string;
  blockedBy?: string[];
  approvals: Array<{
    id: string;
    stepId: string;
    state: string;
    tier: string;
    expiresAt: string;
    notified?: Array<{ people?: string[] }>;
  }>;
  timeline: AuditEvent[];
}

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
const REQUEST_ENDS: Record<string, string> = {
  'approval.rejected': 'rejected',
  'objection.raised': 'rejected',
  'approval.expired': 'expired',
  'approval.withdrawn': 'withdrawn',
  'approval.voided': 'void',
  'objection.window-passed': 'passed',
};
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

function reviewRequests(events: AuditEvent[], ref: (e: AuditEvent) => EventRef, ended: boolean): RequestReview[] {
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

function liveFacts(status: LiveStatus): LiveFacts {
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
