import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { AuditEvent } from './event.js';

/**
 * Tamper evidence. Each response's events form a hash chain: every event carries the hash of
 * the one before it, and its own hash covers all its fields (that link included) in canonical
 * JSON, so editing, deleting or reordering a stored event breaks the chain from there.
 * Pure JavaScript hashing: this runs inside the workflow, which may not use node:crypto.
 */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level. For JSON data (strings, finite numbers, booleans,
 * null, arrays, objects) this matches RFC 8785: JSON.stringify already writes numbers and
 * strings the way it prescribes; only the key order needs fixing.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function eventHash(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  // The seal is added after hashing, when the event is stored: it is not part of the content.
  const { hash: _ignored, mac: _mac, macKeyId: _macKeyId, ...content } = event;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(content))));
}

/** The chain an event belongs to: one per workflow run (its ID minus the sequence number). */
export function chainOf(event: Pick<AuditEvent, 'eventId'>): string {
  return event.eventId.slice(0, event.eventId.lastIndexOf(':'));
}

export type ChainVerdict =
  | { intact: true; chains: number; events: number }
  | {
      intact: false;
      chains: number;
      events: number;
      firstBroken: { eventId: string; sequence: number; problem: string };
    };

/** The newest event of a chain as the source of truth (the workflow's state) recorded it. */
export type ChainHead = Pick<AuditEvent, 'eventId' | 'sequence' | 'hash'>;

/**
 * Recompute every chain among `events` (any order); report the first broken link. A chain's
 * links cannot show that its newest events were deleted (what is left is a valid chain), nor a
 * chain rewritten from scratch: `heads`, when given, are the last events the response itself
 * recorded, and each stored chain must end exactly there, with the same hash.
 */
export function verifyChains(events: readonly AuditEvent[], heads: readonly ChainHead[] = []): ChainVerdict {
  const chains = new Map<string, AuditEvent[]>();
  for (const e of events) {
    const key = chainOf(e);
    if (!chains.has(key)) chains.set(key, []);
    chains.get(key)!.push(e);
  }
  for (const chain of chains.values()) {
    chain.sort((a, b) => a.sequence - b.sequence);
    let previous = GENESIS_HASH;
    for (const [i, e] of chain.entries()) {
      const broken = (problem: string) => ({
        intact: false as const,
        chains: chains.size,
        events: events.length,
        firstBroken: { eventId: e.eventId, sequence: e.sequence, problem },
      });
      if (e.sequence !== i + 1) return broken(`expected sequence ${i + 1}: event(s) missing before this one`);
      if (e.prevHash !== previous)
        return broken('its link to the previous event does not match (an earlier event was changed or removed)');
      if (eventHash(e) !== e.hash) return broken('its content does not match its hash (this event was changed)');
      previous = e.hash!;
    }
  }
  for (const head of heads) {
    const chain = chains.get(chainOf(head)) ?? [];
    const last = chain.at(-1)?.sequence ?? 0;
    const broken = (sequence: number, problem: string) => ({
      intact: false as const,
      chains: chains.size,
      events: events.length,
      firstBroken: { eventId: `${chainOf(head)}:${sequence}`, sequence, problem },
    });
    if (last < head.sequence)
      return broken(
        last + 1,
        `missing: the response recorded ${head.sequence} events, the store ends at ${last} (the newest events were removed)`,
      );
    if (last > head.sequence)
      return broken(
        head.sequence + 1,
        `never recorded by the response, which ended at ${head.sequence} (added afterwards)`,
      );
    if (chain.at(-1)!.hash !== head.hash)
      return broken(head.sequence, 'differs from the event the response recorded (the chain was rewritten)');
  }
  return { intact: true, chains: chains.size, events: events.length };
}

/** The events a response's trail ends with when its workflow code ran to the end. */
export const CLOSING_TYPES: ReadonlySet<string> = new Set(['response.completed', 'response.cancelled']);

/** How Temporal says a run ended, as far as the trail is concerned. */
export type RunEnd = 'running' | 'ended' | 'bypassed';

/**
 * A response's chain must end with its closing event once the response has ended. Without it,
 * its newest events were deleted from the store, or the run was ended from Temporal (terminate,
 * reset, timeout), which bypasses workflow code and so records nothing. `endOf` tells how each
 * chain's run ended; runs Temporal no longer holds count as ended.
 */
export function closingProblem(
  events: readonly AuditEvent[],
  endOf: (chain: string) => RunEnd,
): { eventId: string; sequence: number; problem: string } | undefined {
  const chains = new Map<string, AuditEvent[]>();
  for (const e of events) chains.set(chainOf(e), [...(chains.get(chainOf(e)) ?? []), e]);
  for (const [key, chain] of chains) {
    chain.sort((a, b) => a.sequence - b.sequence);
    if (chain[0]?.type !== 'response.opened') continue; // not a response's own trail
    const last = chain.at(-1)!;
    const end = endOf(key);
    if (end === 'running' || CLOSING_TYPES.has(last.type)) continue;
    return {
      eventId: last.eventId,
      sequence: last.sequence,
      problem:
        end === 'bypassed'
          ? 'the response was ended from Temporal (terminated, reset or timed out): workflow code did not run, and its trail ends without a closing event'
          : 'the response ended, but its trail ends without its closing event (the newest events were removed, or it was ended from Temporal)',
    };
  }
  return undefined;
}
