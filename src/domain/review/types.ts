import type { AuditEvent } from '../audit/event.js';

/** What an incident review says (every renderer: JSON, Markdown, HTML, PDF). */
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
