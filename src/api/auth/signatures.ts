import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed alert deliveries, for senders that cannot hold a bearer token.
 *
 * interlock-v1: header `X-Interlock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 *   The timestamp must be within the tolerance, and a signature is accepted once (replay cache).
 * pagerduty-v1: header `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, raw body)>[,v1=…]`
 *   (several while a secret is being rotated), as PagerDuty documents for webhooks v3. PagerDuty
 *   signs no timestamp; its retries carry the same event id, which the response records once.
 */
export type SignatureOutcome = { ok: true } | { ok: false; reason: string };

const hmac = (secret: string, data: Buffer | string) => createHmac('sha256', secret).update(data).digest();

function equalHex(expected: Buffer, hex: string): boolean {
  if (!/^[0-9a-f]+$/i.test(hex) || hex.length !== expected.length * 2) return false;
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

export function signInterlockV1(secret: string, rawBody: Buffer | string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmac(secret, Buffer.concat([Buffer.from(`${timestampSeconds}.`), Buffer.from(rawBody)])).toString('hex')}`;
}

export function signPagerDutyV1(secret: string, rawBody: Buffer | string): string {
  return `v1=${hmac(secret, rawBody).toString('hex')}`;
}

export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {}

  /** True the first time a key is offered within its lifetime. */
  firstTime(key: string, nowMs: number): boolean {
    if (this.seen.size >= this.max || this.seen.size % 1000 === 0)
      for (const [k, expires] of this.seen) if (expires <= nowMs) this.seen.delete(k);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > nowMs) return false;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, nowMs + this.ttlMs);
    return true;
  }
}

export function verifyInterlockV1(
  header: string | undefined,
  secret: string,
  rawBody: Buffer,
  nowMs: number,
  toleranceSeconds: number,
  replays: ReplayCache,
): SignatureOutcome {
  if (!header) return { ok: false, reason: 'X-Interlock-Signature header is missing' };
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1)
    return { ok: false, reason: 'X-Interlock-Signature must look like t=<unix seconds>,v1=<hex>' };
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds)
    return { ok: false, reason: `the signature timestamp is more than ${toleranceSeconds}s away from now` };
  const expected = hmac(secret, Buffer.concat([Buffer.from(`${t}.`), rawBody]));
  if (!equalHex(expected, parts.v1)) return { ok: false, reason: 'the signature does not match the body' };
  if (!replays.firstTime(parts.v1, nowMs))
    return { ok: false, reason: 'this signed delivery was already received (replay)' };
  return { ok: true };
}

export function verifyPagerDutyV1(header: string | undefined, secret: string, rawBody: Buffer): SignatureOutcome {
  if (!header) return { ok: false, reason: 'X-PagerDuty-Signature header is missing' };
  const expected = hmac(secret, rawBody);
  const candidates = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3));
  if (candidates.length === 0) return { ok: false, reason: 'X-PagerDuty-Signature has no v1 signature' };
  return candidates.some((c) => equalHex(expected, c))
    ? { ok: true }
    : { ok: false, reason: 'the signature does not match the body' };
}
