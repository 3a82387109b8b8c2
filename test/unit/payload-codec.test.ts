import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  createEncryptionCodec,
  isEncrypted,
  parseCodecKeys,
  type CodecKey,
} from '../../src/clients/temporal/payload-codec.js';

const key = (id: string): CodecKey => ({ id, key: new Uint8Array(randomBytes(32)) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);

describe('AES-256-GCM payload codec', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('round-trips payloads, metadata included, and the ciphertext shows neither', async () => {
    const codec = createEncryptionCodec([k1]);
    const original = [payload({ token: 'plain-marker-123' }), payload(null), payload('x'.repeat(10_000))];
    const encoded = await codec.encode(original);
    expect(encoded.every(isEncrypted)).toBe(true);
    expect(text(encoded[0]!.metadata!['encryption-key-id'])).toBe('k1');
    expect(text(encoded[0]!.data)).not.toContain('plain-marker-123');
    expect(text(encoded[0]!.data)).not.toContain('json/plain');
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { token: 'plain-marker-123' },
      null,
      'x'.repeat(10_000),
    ]);
    // A fresh IV each time: the same value never encrypts to the same bytes.
    const again = await codec.encode([original[0]!]);
    expect(text(again[0]!.data)).not.toBe(text(encoded[0]!.data));
  });

  it('rotates keys: encrypts with the first, decrypts with any configured', async () => {
    const before = await createEncryptionCodec([k1]).encode([payload('old')]);
    const rotated = createEncryptionCodec([k2, k1]);
    const after = await rotated.encode([payload('new')]);
    expect(text(after[0]!.metadata!['encryption-key-id'])).toBe('k2');
    const decoded = await rotated.decode([...before, ...after]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['old', 'new']);
  });

  it('refuses a payload encrypted with a key it does not have, naming the key id, and an altered one', async () => {
    const encoded = await createEncryptionCodec([k1]).encode([payload('secret')]);
    await expect(createEncryptionCodec([k2]).decode(encoded)).rejects.toThrow(
      /key "k1", which is not configured \(configured: k2\)/,
    );
    const forged = { ...encoded[0]!, metadata: { ...encoded[0]!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await expect(createEncryptionCodec([k2]).decode([forged])).rejects.toThrow(/failed authentication/);
  });

  it('passes payloads without its encoding through undecoded (histories from before the codec)', async () => {
    const plain = [payload({ a: 1 }), { metadata: { encoding: Buffer.from('binary/null') } }];
    expect(await createEncryptionCodec([k1]).decode(plain)).toEqual(plain);
  });
});

describe('PAYLOAD_CODEC_KEYS', () => {
  const b64 = randomBytes(32).toString('base64');
  it('parses id:base64 entries, first is current', () => {
    const keys = parseCodecKeys(`2026-05:${b64}, 2025-11:${randomBytes(32).toString('base64')}`);
    expect(keys.map((k) => k.id)).toEqual(['2026-05', '2025-11']);
    expect(Buffer.from(keys[0]!.key).toString('base64')).toBe(b64);
  });

  it.each([
    ['', /no keys/],
    [b64, /key 1: expected id:base64key/],
    [`a:${randomBytes(16).toString('base64')}`, /key 1 \("a"\): expected 32 bytes/],
    [`a:${b64.slice(0, -4)}!!!!`, /key 1 \("a"\): expected 32 bytes/],
    [`a:${b64},a:${b64}`, /key 2: the id "a" appears twice/],
  ])('refuses %j with a message that never shows key material', (value, message) => {
    let error: Error | undefined;
    try {
      parseCodecKeys(value);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(b64.slice(0, 12));
  });
});
