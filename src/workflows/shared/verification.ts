import { ApplicationFailure } from '@temporalio/workflow';
import { actorSchema, type Actor } from '../../domain/actor/actor.js';
import { verifyAttestation } from '../../domain/trust/attestation.js';
import { letsAutomationProceed, type Trust } from '../../domain/trust/rules.js';

/**
 * Where a workflow stands on trust: `legacy` for runs recorded before verification existed (they
 * replay as they ran: declared actors are taken as they are), `loading` until the worker's keys
 * have arrived (nothing that proceeds is accepted meanwhile), then the trust itself.
 */
export type TrustState = 'legacy' | 'loading' | Trust;

export type CheckedActor = Actor & { verified?: boolean };

/** Nonces of accepted decisions, kept as long as a decision with them could still be fresh. */
export class NonceMemory {
  private readonly seen: Map<string, number>;

  /** `carried`: what an earlier run remembered (continue-as-new). */
  constructor(carried: Array<[string, number]> = []) {
    this.seen = new Map(carried);
  }

  /** What a continued run must still remember (nonce, keep until). */
  entries(): Array<[string, number]> {
    return [...this.seen];
  }

  has(nonce: string): boolean {
    return this.seen.has(nonce);
  }

  remember(nonce: string, keepUntilMs: number, nowMs: number): void {
    for (const [n, until] of this.seen) if (until < nowMs) this.seen.delete(n);
    this.seen.set(nonce, keepUntilMs);
  }
}

/** The input as its schema knows it: the signature is verified here and goes no further. */
export function withoutAttestation(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || !('attestation' in raw)) return raw;
  const { attestation: _attestation, ...rest } = raw as Record<string, unknown>;
  return rest;
}

export interface ActorCheck {
  actor: CheckedActor;
  /** Set when a signed decision was accepted: remember its nonce once the input is applied. */
  nonce?: { value: string; keepUntilMs: number };
}

/**
 * The person an input is taken from. A decision the gateway signed is taken from its claims
 * (verified, whatever the payload declares). Without a valid signature, an input that makes
 * automation safer is taken as declared and marked unverified; one that lets it go ahead is
 * refused (Unverified), unless the deployment trusts Temporal's own identities.
 */
export function checkActor(
  trust: TrustState,
  nonces: NonceMemory,
  expected: { workflowId: string; input: string },
  raw: unknown,
  nowMs: number,
): ActorCheck | undefined {
  if (trust === 'legacy') return undefined;
  const content = raw as { actor?: unknown; attestation?: unknown } | null;
  const declared = actorSchema.safeParse(content?.actor);
  const proceeds = letsAutomationProceed(expected.input, raw);
  if (content?.attestation !== undefined && trust !== 'loading') {
    const v = verifyAttestation(content.attestation, { ...expected, content: raw }, trust, nowMs, (n) => nonces.has(n));
    if (v.ok) {
      const keepUntilMs = Date.parse(v.claims.issuedAt) + trust.maxAgeMs + 60_000;
      return { actor: { ...v.claims.actor, verified: true }, nonce: { value: v.claims.nonce, keepUntilMs } };
    }
    if (proceeds) refuseUnverified(`${expected.input} refused: ${v.reason}`);
  } else if (proceeds) {
    if (trust === 'loading') refuseUnverified('the verification keys are still loading; try again in a moment');
    if (!trust.trustTemporalIdentity)
      refuseUnverified(
        `${expected.input} needs a verified person: send it through Interlock (API, console, CLI, Slack, email), ` +
          'which signs it; a signal or update sent straight to Temporal may stop automation, never let it go ahead',
      );
  }
  // Declared and unverified: good enough to stop something (or, when configured, to proceed).
  if (!declared.success) return undefined; // the input's own validation reports what is wrong
  return { actor: { ...declared.data, verified: false } };
}

function refuseUnverified(message: string): never {
  throw ApplicationFailure.create({ type: 'Unverified', message, nonRetryable: true });
}

/** A refusal for want of a verified person (recorded by the handler, see input-gate.ts). */
export function isUnverified(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && err.type === 'Unverified';
}
