import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from './errors.js';

/**
 * Idempotency keys on human inputs (the `Idempotency-Key` request header, as in the IETF
 * httpapi draft of that name). A caller whose request timed out, or whose gateway died before it
 * answered, cannot know whether its decision took effect; with a key it may simply send the same
 * request again, to any gateway.
 *
 * Nothing is stored in the gateway: the key becomes the Temporal update ID, and Temporal itself
 * deduplicates updates by ID within a workflow run, answering a repeat with the first outcome.
 * That holds across gateway instances and restarts without a shared cache of our own.
 *
 * The ID covers who sent it, which input and the exact body, so a key reused for a different
 * decision (or by another person) is a new input, judged on its own, never silently answered
 * with somebody else's outcome.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

// Visible ASCII without spaces, like a token: UUIDs, ULIDs and the CLI's keys all fit.
const KEY_PATTERN = /^[\x21-\x7e]{8,128}$/;

/** The request's key, if it sent one; a malformed one is refused (400), never ignored. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw : [raw];
  if (value.length !== 1 || !KEY_PATTERN.test(value[0]!))
    throw new HttpError(
      400,
      'invalid_idempotency_key',
      'Idempotency-Key must be one value of 8 to 128 visible ASCII characters without spaces (a UUID works)',
    );
  return value[0];
}

/** The Temporal update ID for one person's input with a key. */
export function updateIdFor(key: string, parts: { workflowId: string; input: string; actorId: string; body: unknown }) {
  const digest = createHash('sha256')
    .update(JSON.stringify([parts.workflowId, parts.input, parts.actorId, key, canonical(parts.body)]))
    .digest('hex');
  return `idem-${digest.slice(0, 40)}`;
}

/** Same content, same text: object keys sorted at every depth. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}
