import type { Actor } from '../actor/actor.js';
import type { AuditEvent } from '../audit/event.js';
import type { Alert } from '../incident/alert.js';
import type { PolicyDecision } from '../policy/policy.js';
import type { OptOutMode, OptOutScope } from './inputs.js';
import type { NotificationKind } from '../notification/notification.js';
import type { Delivery } from '../notification/delivery.js';
import type { TimelinePage } from './long-lived.js';

import type { ResponsePhase } from '../../contracts/phases.js';
export type { ResponsePhase };

export type StepState =
  | 'pending'
  | 'awaiting-approval'
  | 'objection-window'
  | 'running'
  | 'succeeded'
  | 'simulated'
  | 'failed'
  | 'skipped'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'manual-only'
  /** Its worker was lost while it ran: nobody knows whether it took effect; a person decides. */
  | 'needs-human';

/**
 * Who did something, as recorded. `verified` is true when the gateway's signature vouched for
 * them, false when the channel only declared them (a Temporal UI signal), absent in responses
 * recorded before verification existed.
 */
export type ActorRef = Pick<Actor, 'id' | 'name' | 'channel'> & { verified?: boolean };

export interface StepStatus {
  id: string;
  kind: string;
  action: string;
  title?: string;
  impact?: string;
  risk: string;
  /** Current input values (defaults, then overrides and approved adjustments). */
  inputs: Record<string, unknown>;
  /** Parameters as they would be sent now (secrets redacted). */
  params: Record<string, unknown>;
  state: StepState;
  /** Why it is in this state, when that is not obvious (skipped by whom, blocked by what). */
  note?: string;
  policy?: { mode: PolicyDecision['mode']; source: string };
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: string;
  history: Array<{ at: string; state: StepState; note?: string }>;
}

export interface ApprovalDecisionRecord {
  actor: ActorRef;
  decision: 'approve' | 'reject';
  reason: string;
  at: string;
  inputs?: Record<string, unknown>;
}

/** One notification about a request: who was on call, and what each channel delivered to whom. */
export interface NotifiedRecord {
  kind: NotificationKind;
  at: string;
  tier: string;
  /** The people on call for the tier when it was sent; absent when no on-call source covers it. */
  people?: string[];
  deliveries: Delivery[];
}

export interface ApprovalRequest {
  id: string;
  stepId: string;
  /** approval: people must say yes. objection: it runs unless someone says no in time. */
  kind: 'approval' | 'objection';
  state: 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn' | 'void';
  /** The tier asked now; `tiers` are all that may answer (escalation widens the circle). */
  tier: string;
  tiers: string[];
  escalationLevel: number;
  /** The escalation level whose reminder was sent (a continued run does not send it twice). */
  remindedLevel?: number;
  approversRequired: number;
  requestedAt: string;
  expiresAt: string;
  approvedAt?: string;
  /** A granted approval must be acted on before this, or it is void and asked again. */
  validUntil?: string;
  requestedBy: Pick<Actor, 'id' | 'name'>;
  /** The input values this request is about; an adjustment changes them and voids earlier yeses. */
  inputs: Record<string, unknown>;
  decisions: ApprovalDecisionRecord[];
  /** Who was asked, through which channel, when, and whether it arrived (newer responses). */
  notified?: NotifiedRecord[];
  /** Everything an approver needs to decide without opening another tool. */
  context: {
    incidentId: string;
    title: string;
    service: string;
    environment: string;
    severity: string;
    alerts: Alert[];
    action: string;
    params: Record<string, unknown>;
    adjustable: Record<string, unknown>;
    impact?: string;
    risk: string;
    policySource: string;
    diagnostics: Array<{ stepId: string; state: StepState; output?: unknown; error?: string }>;
    ifNobodyAnswers: string;
    dryRun: boolean;
  };
}

/** What a person may do about a mitigation whose effect is unknown (see UnknownEffect). */
export const SETTLE_CHOICES = ['retry', 'mark-done', 'hand-over'] as const;
export type SettleChoice = (typeof SETTLE_CHOICES)[number];

/**
 * A mitigation whose worker was lost while it ran (heartbeat or start-to-close timeout): it may
 * have changed production, fully, partly or not at all. Never retried by itself and never taken
 * as done: the response waits (phase needs-human) until a person chooses.
 */
export interface UnknownEffect {
  id: string;
  stepId: string;
  action: string;
  title?: string;
  /** The parameters it was started with (secrets redacted). */
  parameters: Record<string, unknown>;
  startedAt: string;
  /** When Temporal declared it lost. */
  lostAt: string;
  cause: 'heartbeat-timeout' | 'start-to-close-timeout';
  /** What Temporal reported, word for word. */
  detail: string;
  effect: 'unknown';
  /** The audit event recording the start of the lost run, and the one recording its loss. */
  startedEventId: string;
  eventId: string;
  /** What a person may do now, and what each choice does. */
  options: Array<{ choice: SettleChoice; verified: boolean; does: string }>;
  state: 'open' | 'retried' | 'marked-done' | 'handed-over' | 'opted-out' | 'resolved' | 'stopped';
  settled?: { actor: ActorRef; reason: string; at: string };
}

export interface OptOutRecord {
  id: string;
  scope: OptOutScope;
  mode: OptOutMode;
  actor: ActorRef;
  reason: string;
  at: string;
  active: boolean;
  released?: { actor: ActorRef; reason: string; at: string };
}

export interface OverrideRecord {
  id: string;
  type: 'skip-step' | 'require-approval' | 'set-inputs';
  stepId: string;
  tier?: string;
  inputs?: Record<string, unknown>;
  actor: ActorRef;
  reason: string;
  at: string;
}

export interface ResponseStatus {
  incidentId: string;
  workflowId: string;
  /** The owning team (the playbook's `team`): who may let this response proceed. */
  team?: string;
  phase: ResponsePhase;
  dryRun: boolean;
  title: string;
  service: string;
  environment: string;
  severity: string;
  /** The alert group's common labels; they select the playbook. */
  labels: Record<string, string>;
  playbook?: { id: string; version: number };
  alerts: Alert[];
  deliveries: number;
  /** Redeliveries of a delivery already recorded (same sender delivery ID), ignored. */
  duplicateDeliveries: number;
  steps: StepStatus[];
  approvals: ApprovalRequest[];
  optOuts: OptOutRecord[];
  overrides: OverrideRecord[];
  handover?: {
    owner: ActorRef;
    at: string;
    /** The newest notes (every note is in the timeline); `notesTotal` counts them all. */
    notes: Array<{ actor: ActorRef; text: string; at: string }>;
    notesTotal?: number;
  };
  resolution?: { actor: ActorRef; summary: string; at: string };
  /** Mitigations whose effect is unknown (their worker was lost), open ones first to settle. */
  unknownEffects?: UnknownEffect[];
  /** What guardrail keeps the next step from starting, if any. */
  blockedBy?: string[];
  /** One page of the audit trail, newest last (see `timelinePage`). */
  timeline: AuditEvent[];
  /** Which page `timeline` is (responses that page it; older ones send every event). */
  timelinePage?: TimelinePage;
  /** How many times this response continued as new (absent: never). */
  runs?: number;
}
