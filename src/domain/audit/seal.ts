import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { AuditEvent } from './event.js';

/**
 * The hash chain shows an edit, unless whoever edits recomputes every hash after it: anyone who
 * can write to OpenSearch can. A seal is an HMAC of each event's hash with a key OpenSearch never
 * sees (`AUDIT_MAC_KEYS`), added as the event is stored; verify checks it. Key ids allow rotation:
 * the first key seals, every listed key verifies.
 */
export interface AuditKeys {
  current: { id: string; key: Uint8Array };
  all: ReadonlyMap<string, Uint8Array>;
}

function macOf(key: Uint8Array, hash: string): string {
  return bytesToHex(hmac(sha256, key, utf8ToBytes(hash)));
}

export function seal(event: AuditEvent, keys: AuditKeys): AuditEvent {
  if (!event.hash) return event;
  return { ...event, mac: macOf(keys.current.key, event.hash), macKeyId: keys.current.id };
}

/** Why an event's seal does not hold, or undefined when it does. */
export function sealProblem(event: AuditEvent, keys: AuditKeys): string | undefined {
  if (!event.mac || !event.macKeyId)
    return 'not sealed with the audit key (stored before the key was configured, or rewritten without it)';
  const key = keys.all.get(event.macKeyId);
  if (!key) return `sealed with audit key "${event.macKeyId}", which is not configured here`;
  if (!event.hash || macOf(key, event.hash) !== event.mac)
    return 'its seal does not match its hash (the event was rewritten without the audit key)';
  return undefined;
}

/** `id:base64key,id:base64key…` (keys of at least 32 bytes); the first seals. Errors never show a key. */
export function parseAuditKeys(text: string): AuditKeys {
  const all = new Map<string, Uint8Array>();
  let current: AuditKeys['current'] | undefined;
  for (const [i, entry] of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .entries()) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    if (at <= 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new Error(`entry ${i + 1}: expected id:base64key`);
    const key = Uint8Array.from(Buffer.from(entry.slice(at + 1), 'base64'));
    if (key.length < 32) throw new Error(`key "${id}": at least 32 bytes are needed`);
    if (all.has(id)) throw new Error(`key "${id}" is listed twice`);
    all.set(id, key);
    current ??= { id, key };
  }
  if (!current) throw new Error('no key listed');
  return { current, all };
}
