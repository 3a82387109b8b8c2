import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

/**
 * AES-256-GCM payload codec: every payload a client or worker sends to Temporal (workflow inputs,
 * activity inputs and results, signals, updates, queries, failure details) is encrypted before it
 * leaves the process and decrypted when it comes back, so Temporal's history holds ciphertext.
 * It runs in the client and the worker, outside the workflow sandbox, so Node's crypto is fine.
 *
 * The encrypted payload keeps the whole original payload (its metadata too) inside the
 * ciphertext, and says only `encoding: binary/encrypted` and which key in its metadata.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface CodecKey {
  id: string;
  key: Uint8Array;
}

export class PayloadCodecError extends Error {
  override name = 'PayloadCodecError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PayloadProto = proto.temporal.api.common.v1.Payload;

/**
 * Parse `id:base64key,id:base64key` (the first is current: it encrypts; all decrypt). Messages
 * name the entry by position and id, never the key material.
 */
export function parseCodecKeys(text: string): CodecKey[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length) throw new PayloadCodecError('no keys: expected id:base64key[,id:base64key…]');
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new PayloadCodecError(`key ${i + 1}: expected id:base64key with an id of letters, digits, . _ -`);
    if (seen.has(id)) throw new PayloadCodecError(`key ${i + 1}: the id "${id}" appears twice`);
    seen.add(id);
    const material = entry.slice(colon + 1);
    const key = Buffer.from(material, 'base64');
    // Buffer.from ignores what is not base64; a round trip tells a real key from a typo.
    if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, ''))
      throw new PayloadCodecError(
        `key ${i + 1} ("${id}"): expected ${KEY_BYTES} bytes in base64 (e.g. openssl rand -base64 32)`,
      );
    return { id, key: new Uint8Array(key) };
  });
}

export function createEncryptionCodec(keys: readonly CodecKey[]): PayloadCodec {
  const current = keys[0];
  if (!current) throw new PayloadCodecError('the payload codec needs at least one key');
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', current.key, iv);
        const plain = PayloadProto.encode(payload).finish();
        const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
        return {
          metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(current.id) },
          data: new Uint8Array(data),
        };
      });
    },

    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        // Not ours (written before the codec was turned on, or by a client without it): as is.
        if (!isEncrypted(payload)) return payload;
        const id = decoder.decode(payload.metadata?.[KEY_ID_METADATA] ?? new Uint8Array());
        const key = byId.get(id);
        if (!key)
          throw new PayloadCodecError(
            `payload encrypted with key "${id}", which is not configured (configured: ${[...byId.keys()].join(', ')})`,
          );
        const data = payload.data ?? new Uint8Array();
        if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('encrypted payload too short');
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        let plain: Buffer;
        try {
          plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        } catch {
          throw new PayloadCodecError(
            `payload encrypted with key "${id}" failed authentication (altered, or another key)`,
          );
        }
        const decoded = PayloadProto.decode(plain);
        return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
      });
    },
  };
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

/** What a Temporal client or worker takes: `{dataConverter}` with the codec, or nothing when it is off. */
export function codecOptions(codec: PayloadCodec | undefined): { dataConverter?: { payloadCodecs: PayloadCodec[] } } {
  return codec ? { dataConverter: { payloadCodecs: [codec] } } : {};
}
