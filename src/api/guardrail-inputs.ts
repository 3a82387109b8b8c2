import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Logger } from 'pino';
import * as g from '../contracts/guardrails.js';
import type { Actor } from '../domain/actor/actor.js';
import type { DecisionSigner } from './auth/decision-signer.js';
import { updateIdFor } from './idempotency.js';
import { withDeadline } from './mount.js';

/**
 * The one way a person's change reaches the guardrails (the kill switch, pauses, rules, freezes),
 * whatever the channel: signed for the authenticated person, refusals recorded in the control
 * workflow's trail.
 */
export function guardrailInputs(client: Client, workflowId: string, signer: DecisionSigner | undefined, log: Logger) {
  const handle = () => client.workflow.getHandle(workflowId);
  /** Signed like every decision (the control workflow takes the person from the signature). */
  const update = async <A extends { actor: Pick<Actor, 'id' | 'name' | 'channel'> }>(
    def: UpdateDefinition<unknown, [A]>,
    arg: A,
    options: { idempotencyKey?: string } = {},
  ) => {
    const signed = signer ? { ...arg, attestation: signer.attest(arg.actor as Actor, workflowId, def.name, arg) } : arg;
    const { actor, ...body } = arg;
    const updateId =
      options.idempotencyKey &&
      updateIdFor(options.idempotencyKey, { workflowId, input: def.name, actorId: actor.id, body });
    try {
      return await withDeadline(handle().executeUpdate(def, { args: [signed], ...(updateId ? { updateId } : {}) }));
    } catch (err) {
      // A refused change is recorded in the control workflow's trail, as a 403 at the door is.
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type !== 'Unverified'
      ) {
        const { id, name, channel } = arg.actor;
        void handle()
          .signal(g.refusedChangeSignal, {
            actor: { id, name, channel },
            attempted: `${def.name}: ${err.cause.message}`,
          })
          .catch((e: unknown) => log.warn({ err: e }, 'could not record a refused guardrail change'));
      }
      throw err;
    }
  };
  const controls = () => withDeadline(handle().query(g.controlsQuery));

  /** Record a change refused before it reached the workflow (the person's role), in its trail. */
  const signalRefusal = (actor: Pick<Actor, 'id' | 'name' | 'channel'>, attempted: string) =>
    handle().signal(g.refusedChangeSignal, { actor, attempted });
  return { update, controls, signalRefusal };
}
