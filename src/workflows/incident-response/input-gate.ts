import { setHandler } from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { CHANNELS, type Actor } from '../../domain/actor/actor.js';
import type { ActorRef } from '../../domain/response/status.js';
import { letsAutomationProceed, teamRefusal } from '../../domain/trust/rules.js';
import { checkActor, isUnverified, withoutAttestation } from '../shared/verification.js';
import { refuse } from './input-validation.js';
import type { ResponseContext } from './state.js';

/**
 * How a human input gets in: who sent it, the input's own rules, then its effect, for an update
 * and its same-named signal alike. Returns the `handle` registrar the handlers use.
 */
export function inputGate(ctx: ResponseContext) {
  const { status, audit } = ctx;

  /**
   * Take an input: who sent it (verified from the gateway's signature, or declared and marked
   * unverified; see shared/verification.ts), then the input's own rules with that person. A
   * signal's unverified actor is recorded with channel temporal-ui. Responses recorded before
   * verification existed take the declared actor, as they did then.
   */
  function accept<I extends { actor: Actor }>(
    name: string,
    check: (raw: unknown) => I,
    raw: unknown,
    viaSignal: boolean,
  ): { input: I; nonce?: { value: string; keepUntilMs: number } } {
    const checked = checkActor(ctx.trust, ctx.nonces, { workflowId: ctx.workflowId, input: name }, raw, Date.now());
    if (!checked) {
      const valid = check(withoutAttestation(raw));
      return { input: viaSignal ? { ...valid, actor: { ...valid.actor, channel: 'temporal-ui' } } : valid };
    }
    const valid = check({ ...(withoutAttestation(raw) as object), actor: checked.actor });
    const verified = checked.actor.verified === true;
    if (letsAutomationProceed(name, raw)) {
      const refusal = teamRefusal(checked.actor, status.team);
      if (refusal) refuse('NotAuthorized', refusal);
    }
    const actor = { ...valid.actor, verified, ...(viaSignal && !verified ? { channel: 'temporal-ui' as const } : {}) };
    return { input: { ...valid, actor }, nonce: checked.nonce };
  }

  /**
   * Register an update and its same-named signal over one validator and one handler. A refused
   * signal cannot be answered, so it becomes an `input.rejected` audit event.
   */
  function handle<I extends { actor: Actor }, R>(
    update: UpdateDefinition<R, [I]>,
    signal: SignalDefinition<[I]>,
    check: (raw: unknown) => I,
    apply: (input: I) => R,
  ) {
    const take = (raw: unknown, viaSignal: boolean): R => {
      const { input, nonce } = accept(update.name, check, raw, viaSignal);
      if (nonce) ctx.nonces.remember(nonce.value, nonce.keepUntilMs, Date.now());
      return apply(input);
    };
    // An unverified attempt to proceed passes the validator on purpose: a refused update leaves
    // no trace in history, and auditors must find it. The handler records it, then refuses.
    setHandler(
      update,
      (i) => {
        try {
          return take(i, false);
        } catch (err) {
          if (isUnverified(err))
            audit.record('input.rejected', {
              actor: { ...signalActor(i), channel: channelOf((i as { actor?: unknown } | null)?.actor) },
              summary: `${update.name} update refused: ${err.message}`,
            });
          throw err;
        }
      },
      {
        validator: (i) => {
          try {
            accept(update.name, check, i, false);
          } catch (err) {
            if (!isUnverified(err)) throw err;
          }
        },
      },
    );
    setHandler(signal, (raw) => {
      try {
        take(raw, true);
      } catch (err) {
        audit.record('input.rejected', {
          actor: signalActor(raw),
          summary: `${signal.name} signal refused: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    });
  }

  return handle;
}

/** The channel a report names, if it is one; recorded as reported, never trusted. */
export function channelOf(actor: unknown): ActorRef['channel'] {
  const channel = (actor as { channel?: unknown } | undefined)?.channel;
  return (CHANNELS as readonly unknown[]).includes(channel) ? (channel as ActorRef['channel']) : 'temporal-ui';
}

/** Best-effort attribution of a malformed signal; it is recorded, never trusted. */
export function signalActor(raw: unknown): ActorRef {
  const actor = (raw as { actor?: Partial<Actor> } | null)?.actor;
  return {
    id: typeof actor?.id === 'string' ? actor.id : 'unknown',
    name: typeof actor?.name === 'string' ? actor.name : 'unknown',
    channel: 'temporal-ui',
  };
}
