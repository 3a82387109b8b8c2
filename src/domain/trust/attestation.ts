import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { CHANNELS, ROLES } from '../actor/actor.js';
import { canonicalJson } from '../audit/chain.js';

/**
 * A decision the gateway vouches for. The gateway authenticated a person, then signs (Ed25519,
 * with a key id) who they are as authenticated, which workflow and which input the decision is
 * for, a digest of its content, when, and a nonce. The workflows verify it with the public keys
 * the worker gives them, so a signal or update sent straight to Temporal (UI, CLI) cannot claim
 * to be somebody, or reuse somebody's decision. Pure and deterministic: it runs in workflows.
 */
export const attestationSchema = z
  .object({
    keyId: z.string().min(1).max(100),
    /** The signed claims, as the exact JSON text that was signed. */
    claims: z.string().min(2).max(8000),
    /** Ed25519 signature of the claims' UTF-8 bytes, hex. */
    signature: z.string().regex(/^[0-9a-f]{128}$/, '64 bytes of hex'),
  })
  .strict();
export type Attestation = z.infer<typeof attestationSchema>;

export const attestedActorSchema = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    channel: z.enum(CHANNELS),
    roles: z.array(z.enum(ROLES)),
    groups: z.array(z.string().min(1).max(100)),
    teams: z.array(z.string().min(1).max(100)),
  })
  .strict();

export const claimsSchema = z
  .object({
    v: z.literal(1),
    actor: attestedActorSchema,
    workflowId: z.string().min(1),
    /** The update or signal name the decision was made for, e.g. "decide". */
    input: z.string().min(1),
    /** SHA-256 (hex) of the input's content without actor and attestation, in canonical JSON. */
    digest: z.string().regex(/^[0-9a-f]{64}$/),
    issuedAt: z.iso.datetime({ offset: true }),
    nonce: z.string().min(16).max(100),
  })
  .strict();
export type Claims = z.infer<typeof claimsSchema>;

/** What a workflow trusts: public keys by id (hex, 32 bytes each) and how old a decision may be. */
export interface TrustKeys {
  keys: Record<string, string>;
  maxAgeMs: number;
}

/** Clocks of gateway and worker hosts differ a little; a decision from slightly ahead is fine. */
const CLOCK_SKEW_MS = 60_000;

/** The content a decision is about: the input without who sent it and the signature itself. */
export function inputDigest(input: unknown): string {
  const { actor: _actor, attestation: _attestation, ...content } = (input ?? {}) as Record<string, unknown>;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(content))));
}

export type Verification = { ok: true; claims: Claims } | { ok: false; reason: string };

/**
 * Check an attestation for this workflow and this input, now. `seen` tells whether the nonce was
 * used before. Every refusal says why in words a person can act on.
 */
export function verifyAttestation(
  raw: unknown,
  expected: { workflowId: string; input: string; content: unknown },
  trust: TrustKeys,
  nowMs: number,
  seen: (nonce: string) => boolean,
): Verification {
  const parsed = attestationSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'the attestation is malformed' };
  const { keyId, claims: text, signature } = parsed.data;
  const key = trust.keys[keyId];
  if (!key)
    return { ok: false, reason: `the attestation is signed with key "${keyId}", which this worker does not trust` };
  let valid = false;
  try {
    valid = ed25519.verify(hexToBytes(signature), utf8ToBytes(text), hexToBytes(key));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'the attestation signature does not verify' };
  let claims: Claims;
  try {
    const checked = claimsSchema.safeParse(JSON.parse(text));
    if (!checked.success) return { ok: false, reason: 'the attested claims are malformed' };
    claims = checked.data;
  } catch {
    return { ok: false, reason: 'the attested claims are not JSON' };
  }
  if (claims.workflowId !== expected.workflowId)
    return { ok: false, reason: 'the decision was signed for another workflow' };
  if (claims.input !== expected.input)
    return { ok: false, reason: `the decision was signed for "${claims.input}", not "${expected.input}"` };
  if (claims.digest !== inputDigest(expected.content))
    return { ok: false, reason: 'the decision was signed for other content' };
  const issued = Date.parse(claims.issuedAt);
  if (nowMs - issued > trust.maxAgeMs)
    return { ok: false, reason: `the decision expired (signed at ${claims.issuedAt})` };
  if (issued - nowMs > CLOCK_SKEW_MS)
    return { ok: false, reason: `the decision is signed in the future (${claims.issuedAt})` };
  if (seen(claims.nonce)) return { ok: false, reason: 'the decision was already used (replayed nonce)' };
  return { ok: true, claims };
}

/** The claims a signer signs: for `input` of `workflowId`, about `content`, now. */
export function newClaims(args: {
  actor: Claims['actor'];
  workflowId: string;
  input: string;
  content: unknown;
  nowMs: number;
  nonce: string;
}): string {
  const claims: Claims = {
    v: 1,
    actor: args.actor,
    workflowId: args.workflowId,
    input: args.input,
    digest: inputDigest(args.content),
    issuedAt: new Date(args.nowMs).toISOString(),
    nonce: args.nonce,
  };
  return JSON.stringify(claims);
}
