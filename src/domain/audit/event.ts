import type { Actor } from '../actor/actor.js';
import type { GuardrailKind } from '../analytics/facets.js';

export const AUDIT_EVENT_TYPES = [
  'response.opened',
  'alert.joined',
  'playbook.selected',
  'playbook.missing',
  'step.started',
  'step.succeeded',
  'step.failed',
  'step.skipped',
  /** A read-only step a dry run did not execute (not marked safeInDryRun). */
  'step.simulated',
  'approval.requested',
  'approval.granted',
  'approval.rejected',
  'approval.expired',
  'approval.withdrawn',
  'approval.escalated',
  'approval.reminded',
  'approval.voided',
  'approval.adjusted',
  'objection.window-opened',
  'objection.raised',
  'objection.window-passed',
  'optout.engaged',
  'optout.released',
  'override.applied',
  'response.handed-over',
  'response.note',
  'response.resolved',
  'policy.decided',
  'mitigation.blocked',
  'mitigation.simulated',
  'mitigation.compensated',
  'mitigation.compensation-failed',
  'mitigation.started',
  'mitigation.succeeded',
  'mitigation.failed',
  'mitigation.cancelled',
  'mitigation.effect-unknown',
  'mitigation.retry-consented',
  'mitigation.marked-done',
  'mitigation.left-to-human',
  'response.stop-requested',
  'response.cancelled',
  'response.completed',
  'alert.refired',
  'alert.ignored',
  'response.restart-requested',
  'input.rejected',
  'notification.failed',
  'notification.delivered',
  'notification.unrouted',
  'guardrail.killswitch-engaged',
  'guardrail.killswitch-released',
  'guardrail.pause-added',
  'guardrail.pause-removed',
  'guardrail.pause-expired',
  'guardrail.rule-added',
  'guardrail.rule-removed',
  'guardrail.freeze-added',
  'guardrail.freeze-removed',
  'guardrail.halted',
  'audit.retention-applied',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * One audit event. Recorded in workflow state first (durable), then indexed in OpenSearch under
 * its deterministic `eventId`, so a retried indexing never stores it twice.
 */
export interface AuditEvent {
  eventId: string;
  sequence: number;
  time: string;
  incidentId: string;
  workflowId: string;
  type: AuditEventType;
  actor: Pick<Actor, 'id' | 'name' | 'channel'>;
  summary: string;
  reason?: string;
  service: string;
  environment: string;
  severity: string;
  stepId?: string;
  approvalId?: string;
  action?: string;
  /** Secrets already redacted (see redactSecrets). */
  parameters?: Record<string, unknown>;
  outcome?: string;
  /** The event that caused this one (the approval that started a mitigation, the opt-out that stopped it). */
  causedBy?: string;
  /**
   * What analytics group and measure by (src/domain/analytics/), recorded as the event is: absent
   * on events from before they existed, and on events that concern no playbook or step. The
   * channel is `actor.channel`. They are content like any other field, so the hash covers them.
   */
  playbookId?: string;
  playbookVersion?: number;
  team?: string;
  /** The action kind of the step the event concerns (`stepId`), from the playbook's step. */
  actionKind?: string;
  /** The tier asked when the event concerns an approval request (`approvalId`). */
  tier?: string;
  /** A decision: milliseconds from the request, and from the first notification of it. */
  latencyMs?: number;
  notifiedLatencyMs?: number;
  /** A mitigation that succeeded: milliseconds since the response opened (time to mitigate). */
  mitigatedAfterMs?: number;
  /** Inputs a person changed at approval (on `approval.adjusted` and on the decision granting it). */
  adjustedInputs?: string[];
  /** Which guardrail blocked or halted a mitigation (`mitigation.blocked`, `guardrail.halted`). */
  guardrail?: GuardrailKind;
  /** Tamper evidence (see chain.ts): the previous event's hash, and this event's own. */
  prevHash?: string;
  hash?: string;
  /** HMAC-SHA256 of `hash` with the audit key `macKeyId`, added as the event is stored (seal.ts). */
  mac?: string;
  macKeyId?: string;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|credential|cookie/i;

/** Replace values under secret-looking keys, at any depth, before anything reaches the audit trail. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) ? '[REDACTED]' : redactSecrets(v),
      ]),
    );
  }
  return value;
}
