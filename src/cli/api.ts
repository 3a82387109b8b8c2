import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import pRetry, { AbortError } from 'p-retry';
import { resolveTarget, type Target } from './config.js';
import { CliError, EXIT, exitForStatus } from './errors.js';

type Query = Record<string, string | number | boolean | string[] | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Readers may run without a token only for public routes; everything else needs one. */
  needsToken?: boolean;
  /** No deadline: exports stream for as long as they take. */
  stream?: boolean;
  /**
   * The route takes an Idempotency-Key: send one, and when no answer came (network, 502-504)
   * send the same request again with it; the gateway makes the repeat take effect once.
   */
  idempotent?: boolean;
}

/** Answers that say nothing about whether the input took effect: safe to repeat with the key. */
const UNKNOWN_OUTCOME = new Set([502, 503, 504]);
const ATTEMPTS = 3;

const TIMEOUT_MS = 30_000;

/** The CLI's only way into Interlock: the HTTP API, as the `cli` channel. */
export class Api {
  constructor(readonly target: Target) {}

  async json<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The raw response of a successful request (for streams). */
  async send(method: 'GET' | 'POST' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<Response> {
    const { url, token } = this.target;
    if (opts.needsToken !== false && !token)
      throw new CliError(
        EXIT.auth,
        `not authenticated: set INTERLOCK_TOKEN or run \`interlock login --token <token>\` (gateway ${url})`,
      );
    const headers: Record<string, string> = { 'x-interlock-channel': 'cli', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotent) headers['idempotency-key'] = randomUUID();
    const attempt = async () => {
      let res: Response;
      try {
        res = await fetch(`${url}${path}${queryString(opts.query)}`, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: opts.stream ? undefined : AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        const failure = new CliError(EXIT.server, `cannot reach ${url}: ${networkReason(err)}`);
        throw opts.idempotent ? failure : new AbortError(failure);
      }
      if (res.ok) return res;
      const failure = await apiError(res);
      throw opts.idempotent && UNKNOWN_OUTCOME.has(res.status) ? failure : new AbortError(failure);
    };
    return pRetry(attempt, {
      retries: opts.idempotent ? ATTEMPTS - 1 : 0,
      minTimeout: 500,
      onFailedAttempt: (failure) => {
        if (failure.retriesLeft > 0)
          process.stderr.write(
            `attempt ${failure.attemptNumber}: ${failure.message}; sending it again (same Idempotency-Key)\n`,
          );
      },
    });
  }
}

export function apiFor(cmd: Command): Api {
  return new Api(resolveTarget(cmd.optsWithGlobals().url as string | undefined));
}

async function apiError(res: Response): Promise<CliError> {
  const { code, label } = exitForStatus(res.status);
  const text = await res.text().catch(() => '');
  let message = text.trim().slice(0, 500) || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: { message?: string; details?: unknown } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's page): the first part of the text says enough.
  }
  return new CliError(code, `${label}: ${message}`);
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
