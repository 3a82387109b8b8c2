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
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function eventHash(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = event;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(content))));
}

/** The chain an event belongs to: one per workflow run (its ID minus the sequence number). */
export function chainOf(event: Pick<AuditEvent, 'eventId'>): string {
  return event.eventId.slice(0, event.eventId.lastIndexOf(':'));
}

export type ChainVerdict =
  | { intact: true; chains: number; events: number }
  | { intact: false; chains: number; events: number; firstBroken: { eventId: string; sequence: number; problem: string } };

/** Recompute every chain among `events` (any order); report the first broken link. */
export function verifyChains(events: readonly AuditEvent[]): ChainVerdict {
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
      const broken = (problem: string) => ({ intact: false as const, chains: chains.size, events: events.length, firstBroken: { eventId: e.eventId, sequence: e.sequence, problem } });
      if (e.sequence !== i + 1) return broken(`expected sequence ${i + 1}: event(s) missing before this one`);
      if (e.prevHash !== previous) return broken('its link to the previous event does not match (an earlier event was changed or removed)');
      if (eventHash(e) !== e.hash) return broken('its content does not match its hash (this event was changed)');
      previous = e.hash!;
    }
  }
  return { intact: true, chains: chains.size, events: events.length };
}
