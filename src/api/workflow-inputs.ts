import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Actor } from '../domain/actor/actor.js';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../domain/incident/incident-id.js';
import * as msg from '../contracts/incident-response.js';
import type { DecisionSigner } from './auth/decision-signer.js';
import { HttpError } from './errors.js';
import { updateIdFor } from './idempotency.js';
import { withDeadline } from './mount.js';

/**
 * The one way a person's input reaches a response, whatever the channel (API, Slack, email,
 * console): signed with the gateway's key for the authenticated person, sent as a workflow
 * update, refusals recorded in the response's trail, errors mapped to HTTP.
 */
export function workflowInputs(client: Client, signer: DecisionSigner | undefined, log: Logger) {
  const handleFor = (id: unknown) => {
    if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id))
      throw new HttpError(404, 'not_found', `no incident "${String(id)}" (incident ids look like am-<24 hex digits>)`);
    return client.workflow.getHandle(workflowIdFor(id));
  };

  /**
   * Send an update straight away (one round trip on the hot path), signed: the workflow takes the
   * person from the signature (src/api/auth/decision-signer.ts). A refusal is recorded in the
   * response's trail before it is answered. Only when the server says "not found" do we look
   * closer, because that is also its answer for a response that ended.
   * With an idempotency key, a repeat of the same input is answered with the first outcome
   * (src/api/idempotency.ts).
   */
  async function update<R, A extends { actor: Actor }>(
    handle: WorkflowHandle,
    def: UpdateDefinition<R, [A]>,
    arg: A,
    options: { idempotencyKey?: string } = {},
  ): Promise<R> {
    const signed = signer ? { ...arg, attestation: signer.attest(arg.actor, handle.workflowId, def.name, arg) } : arg;
    const { actor, ...body } = arg;
    const updateId =
      options.idempotencyKey &&
      updateIdFor(options.idempotencyKey, { workflowId: handle.workflowId, input: def.name, actorId: actor.id, body });
    // One ID for every attempt: a resend after an aborted attempt takes effect at most once.
    const id = updateId || randomUUID();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await withDeadline(handle.executeUpdate(def, { args: [signed], updateId: id }));
        } catch (err) {
          if (attempt >= 3 || !abortedByTaskFailure(err)) throw err;
        }
      }
    } catch (err) {
      // An Unverified refusal was recorded by the workflow itself (see input-gate.ts).
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type !== 'Unverified'
      )
        reportRefusal(handle, arg.actor, def.name, err.cause.message);
      if (
        err instanceof HttpError ||
        (!(err instanceof WorkflowNotFoundError) && !/not found|already completed/i.test((err as Error).message ?? ''))
      )
        throw err;
      const description = await handle.describe().catch(() => undefined);
      if (!description) throw new HttpError(404, 'not_found', 'no such incident response');
      throw new HttpError(
        409,
        'ResponseClosed',
        `the response has already ended (${description.status.name.toLowerCase()})`,
      );
    }
  }

  /** Record a refused attempt in the response's trail; a failure to record is logged, not fatal. */
  function reportRefusal(handle: WorkflowHandle, actor: Actor, input: string, reason: string) {
    void handle
      .signal(msg.refusedInputSignal, {
        actor: { id: actor.id, name: actor.name, channel: actor.channel },
        input,
        reason,
      })
      .catch((err: unknown) => log.warn({ err, input }, 'could not record a refused input'));
  }

  /** Emergency stop: attribute it (a signed signal), then cancel; the workflow unwinds and audits. */
  async function stop(handle: WorkflowHandle, request: { reason: string; actor: Actor }) {
    const description = await withDeadline(handle.describe());
    if (description.status.name !== 'RUNNING')
      throw new HttpError(
        409,
        'ResponseClosed',
        `the response has already ended (${description.status.name.toLowerCase()})`,
      );
    const attestation = signer?.attest(request.actor, handle.workflowId, msg.stopRequestSignal.name, request);
    await withDeadline(handle.signal(msg.stopRequestSignal, attestation ? { ...request, attestation } : request));
    await withDeadline(handle.cancel());
  }

  return { handleFor, update, reportRefusal, stop };
}
export type WorkflowInputs = ReturnType<typeof workflowInputs>;

/**
 * The server aborts an update it admitted but the workflow had not yet accepted when that
 * workflow task failed: a flood of inputs overflowing its buffer, or a continue-as-new whose
 * completion it refused because inputs arrived meanwhile (a long-lived response). Nothing was
 * applied, so sending it again (same update ID) is safe; the client SDK does not retry it.
 */
function abortedByTaskFailure(err: unknown): boolean {
  const e = err as { message?: string; cause?: { message?: string } } | undefined;
  return /unexpected workflow task failure/i.test(`${e?.message ?? ''} ${e?.cause?.message ?? ''}`);
}
