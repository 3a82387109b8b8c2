import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack signs every request it sends (v0): HMAC-SHA256 with the app's signing secret over
 * `v0:<X-Slack-Request-Timestamp>:<raw body>`, hex, in `X-Slack-Signature` as `v0=<hex>`. The
 * raw bytes are what is signed, so this runs before any body parsing.
 */
export function slackSignatureProblem(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: Buffer,
  nowMs: number,
  toleranceSeconds = 300,
): string | undefined {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return 'missing X-Slack-Request-Timestamp or X-Slack-Signature';
  if (!/^\d{1,12}$/.test(timestamp)) return 'X-Slack-Request-Timestamp is not a Unix time in seconds';
  // A captured request must not work later: Slack's own guidance is five minutes.
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds)
    return `the request timestamp is more than ${toleranceSeconds} s away from now (stale or replayed)`;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'the signature does not match';
  return undefined;
}

/**
 * Signatures already accepted, kept for the tolerance window (after it, the timestamp check
 * refuses them anyway). Per gateway instance: a replay sent to another instance could pass this
 * check, but it carries the same person's same click, which the workflow refuses as a repeat
 * (one decision per person per request) and audits; see README, Slack.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = 300_000 * 2) {}

  /** True the first time a signature is offered within the window. */
  firstUse(signature: string, nowMs: number): boolean {
    for (const [sig, at] of this.seen) {
      if (nowMs - at <= this.windowMs) break; // insertion order: the rest are newer
      this.seen.delete(sig);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, nowMs);
    return true;
  }
}

/**
 * The check every Slack endpoint makes before reading a request: the signature over the raw body
 * and first use within the window (one replay memory for all of them). Returns the problem, if any.
 */
export function slackRequestCheck(secret: string, toleranceSeconds = 300) {
  const replay = new ReplayGuard();
  return (headers: { timestamp?: string; signature?: string }, raw: Buffer, nowMs = Date.now()): string | undefined =>
    slackSignatureProblem(secret, headers, raw, nowMs, toleranceSeconds) ??
    (replay.firstUse(headers.signature!, nowMs) ? undefined : 'this request was already received (replayed)');
}
