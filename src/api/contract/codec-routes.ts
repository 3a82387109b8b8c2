import { z } from 'zod';
import { reader, responder, type RouteContract } from './schemas.js';

// Temporal's JSON form of a payload: metadata values and data are base64 (proto3 JSON bytes).
const base64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const payload = z.object({ metadata: z.record(z.string().max(256), base64).default({}), data: base64.default('') });
/** The Temporal codec server protocol: `{payloads: [...]}` in, the same shape out. */
export const payloadsBody = z.object({ payloads: z.array(payload).max(1000) });
export type PayloadsBody = z.infer<typeof payloadsBody>;

const answers = {
  200: '{payloads}: each payload decoded (or encoded); payloads the codec does not recognise are returned as they are',
  400: 'malformed JSON, a wrong shape, or a payload encrypted with a key this gateway does not hold',
  401: 'not authenticated',
  403: 'not allowed',
  413: 'body too large',
  429: 'rate limited',
} as const;

/**
 * The payload codec endpoints the Temporal UI (and `temporal --codec-endpoint`) call, so people
 * read encrypted histories in plain text: `<gateway>/v1/codec` is the endpoint to configure.
 */
export const CODEC_ROUTES = {
  codecDecode: {
    method: 'post',
    path: '/v1/codec/decode',
    summary: 'Decode (decrypt) Temporal payloads for display',
    tag: 'operations',
    access: reader,
    readOnly: true,
    body: payloadsBody,
    responses: answers,
  },
  codecEncode: {
    method: 'post',
    path: '/v1/codec/encode',
    summary: 'Encode (encrypt) Temporal payloads, e.g. a signal input typed in the Temporal UI',
    tag: 'operations',
    access: responder,
    body: payloadsBody,
    responses: answers,
  },
} satisfies Record<string, RouteContract>;
