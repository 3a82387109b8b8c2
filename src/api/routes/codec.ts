import type { Payload, PayloadCodec } from '@temporalio/common';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { PayloadCodecError } from '../../clients/temporal/payload-codec.js';
import { ROUTES } from '../contract.js';
import { payloadsBody, type PayloadsBody } from '../contract/codec-routes.js';
import { HttpError } from '../errors.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

/**
 * The Temporal UI calls the codec from the browser, from its own origin: CORS for the configured
 * origins, answering the preflight (which carries no token) before authentication. Credentials
 * are allowed because the UI can be set to send cookies or its access token.
 */
export function codecCors(origins: string[]): RequestHandler {
  return cors({
    origin: origins,
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    credentials: true,
    maxAge: 600,
  });
}

/** Without a codec (PAYLOAD_CODEC_KEYS unset) both endpoints return the payloads unchanged. */
export function codecRoutes(mount: Mount, codec: PayloadCodec | undefined) {
  const run = (work: (payloads: Payload[]) => Promise<Payload[]>): RequestHandler => {
    return async (req, res) => {
      const body = parseOr400(payloadsBody, req.body, 'payloads');
      let out: Payload[];
      try {
        out = await work(body.payloads.map(fromJson));
      } catch (err) {
        if (err instanceof PayloadCodecError) throw new HttpError(400, 'invalid_payload', err.message);
        throw err;
      }
      res.json({ payloads: out.map(toJson) });
    };
  };
  mount(
    ROUTES.codecDecode,
    run((p) => (codec ? codec.decode(p) : Promise.resolve(p))),
  );
  mount(
    ROUTES.codecEncode,
    run((p) => (codec ? codec.encode(p) : Promise.resolve(p))),
  );
}

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('base64');

function fromJson(p: PayloadsBody['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, bytes(v)])),
    data: bytes(p.data),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data),
  };
}
