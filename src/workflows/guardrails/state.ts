import { ApplicationFailure, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { infer as zInfer, ZodType } from 'zod';
import type { IncidentActivities } from '../../activities/index.js';
import type { GuardrailsInput } from '../../contracts/guardrails.js';
import type { Actor } from '../../domain/actor/actor.js';
import type { AuditEventType } from '../../domain/audit/event.js';
import { EMPTY_CONTROLS, type Controls } from '../../domain/guardrails/controls.js';
import { describeIssues } from '../../domain/response/inputs.js';
import { AuditTrail } from '../shared/audit-trail.js';
import { describeDeliveries } from '../shared/deliveries.js';
import { NotificationOutbox } from '../shared/notification-outbox.js';
import { NonceMemory, type TrustState } from '../shared/verification.js';

export const { indexAuditEvents, broadcastControls } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

export const { loadTrust } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

const { sendNotification } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // A channel that is down must not hold the controls: a few tries, then the failure is audited.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

/** A deep copy of plain JSON state (the workflow sandbox has no structuredClone). */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The actor as recorded; `verified` only when verification applies to this run. */
export function who(actor: Actor & { verified?: boolean }) {
  const ref: { id: string; name: string; channel: Actor['channel']; verified?: boolean } = {
    id: actor.id,
    name: actor.name,
    channel: actor.channel,
  };
  if (actor.verified !== undefined) ref.verified = actor.verified;
  return ref;
}

/** Validate an update's payload; the refusal names the field (the gateway answers 400/422). */
export function parse<S extends ZodType>(schema: S, raw: unknown): zInfer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: describeIssues(parsed.error),
      nonRetryable: true,
    });
  return parsed.data;
}

/** What the control workflow holds: the controls, their audit trail and the notification outbox. */
export class GuardrailsState {
  readonly workflowId: string;
  readonly controls: Controls;
  readonly audit: AuditTrail;
  /** Undefined in histories from before the kill switch notified anyone: they replay without one. */
  readonly outbox: NotificationOutbox | undefined;
  /** Set by every change; the main loop wakes on it (pause expiry, continue-as-new). */
  wake = false;
  /** What the worker says to trust; runs from before verification existed stay 'legacy'. */
  trust: TrustState = 'legacy';
  readonly nonces = new NonceMemory();
  private counter: number;

  constructor(input: GuardrailsInput) {
    this.controls = copy(input.controls ?? EMPTY_CONTROLS);
    const { workflowId, firstExecutionRunId } = workflowInfo();
    this.workflowId = workflowId;
    this.audit = new AuditTrail(
      { incidentId: 'guardrails', workflowId, runKey: firstExecutionRunId },
      () => ({ service: '-', environment: '-', severity: '-' }),
      indexAuditEvents,
      input.audit,
    );
    this.counter = this.controls.version;
    const audit = this.audit;
    const automation = { id: 'interlock', name: 'Interlock automation', channel: 'system' } as const;
    this.outbox = patched('notification-outbox')
      ? new NotificationOutbox(
          sendNotification,
          (n, cause) =>
            audit.record('notification.failed', {
              actor: automation,
              summary: `Notification ${n.kind} could not be sent: ${cause}`,
              outcome: 'failed',
            }),
          // Channels report failures instead of throwing: each is audited, like a failed send.
          patched('delivery-records')
            ? (n, report) => {
                const { delivered, failed } = describeDeliveries(n, report);
                if (delivered)
                  audit.record('notification.delivered', {
                    actor: automation,
                    summary: delivered,
                    outcome: 'delivered',
                  });
                for (const summary of failed)
                  audit.record('notification.failed', { actor: automation, summary, outcome: 'failed' });
              }
            : undefined,
        )
      : undefined;
  }

  nextId(kind: string): string {
    return `${kind}-${++this.counter}`;
  }

  /** Record a change: a new version, its audit event, and a wake-up for the main loop. */
  changed(type: AuditEventType, actor: ReturnType<typeof who>, reason: string | undefined, summary: string): Controls {
    this.controls.version += 1;
    this.audit.record(type, { actor, reason, summary, outcome: `controls v${this.controls.version}` });
    this.wake = true;
    return copy(this.controls);
  }
}
