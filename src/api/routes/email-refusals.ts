import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuditStore } from '../../clients/opensearch/audit-store.js';
import { refusedInputSignal } from '../../contracts/incident-response.js';
import type { Actor } from '../../domain/actor/actor.js';
import { eventHash, GENESIS_HASH } from '../../domain/audit/chain.js';
import type { AuditEvent } from '../../domain/audit/event.js';
import type { ApprovalRequest } from '../../domain/response/status.js';

/**
 * Records an email link refused at the gateway (spent, expired, not signed in, a person no longer
 * known). Into the response's own trail while it runs; once it has ended (a spent link is often
 * used after the mitigation finished) its trail is closed, so the attempt becomes an event of its
 * own, a chain of one, as the alert intake records re-fires. Never the token, only who and why.
 */
export function emailRefusalRecorder(audit: Pick<AuditStore, 'createEvent'>, log: Logger) {
  return async (handle: WorkflowHandle, approval: ApprovalRequest, actor: Actor, reason: string) => {
    const who = { id: actor.id, name: actor.name, channel: actor.channel };
    try {
      await handle.signal(refusedInputSignal, { actor: who, input: 'decide', reason, target: approval.id });
      return;
    } catch {
      // Ended (or unreachable): recorded directly below.
    }
    const c = approval.context;
    const event: Omit<AuditEvent, 'hash'> = {
      eventId: `email-refusal:${c.incidentId}:${randomUUID()}:1`,
      sequence: 1,
      time: new Date().toISOString(),
      incidentId: c.incidentId,
      workflowId: handle.workflowId,
      type: 'input.rejected',
      actor: who,
      summary: `decide by email refused: ${reason}`,
      reason,
      service: c.service,
      environment: c.environment,
      severity: c.severity,
      stepId: approval.stepId,
      approvalId: approval.id,
      outcome: 'refused',
      prevHash: GENESIS_HASH,
    };
    await audit
      .createEvent({ ...event, hash: eventHash(event) })
      .catch((err: unknown) => log.warn({ err }, 'could not record a refused email decision'));
  };
}
