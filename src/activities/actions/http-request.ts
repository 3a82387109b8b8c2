import { ApplicationFailure, Context } from '@temporalio/activity';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ActionResultOf, HttpRequestParams } from '../../domain/playbook/actions.js';
import { keepHeartbeating } from './heartbeat.js';

type HttpRequestResult = ActionResultOf<'http.request'>;

const BODY_EXCERPT_BYTES = 4096;
/**
 * The step's own timeout (an AbortSignal) is the only deadline: the HTTP client's defaults would
 * otherwise cut any mitigation that waits longer than 5 minutes for its answer.
 */
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

/**
 * Perform one HTTP call for a playbook step. Stopping must be fast: we heartbeat while waiting
 * (cancellation only reaches an activity through a heartbeat response) and hand `stop` (the
 * activity's cancellation, and a guardrail's interruption) to fetch, so a stop aborts the request
 * on the wire. When `stop` fires, its reason is what this throws.
 */
export async function performHttpRequest(
  params: HttpRequestParams,
  stop: AbortSignal = Context.current().cancellationSignal,
): Promise<HttpRequestResult> {
  const ctx = Context.current();
  const started = Date.now();
  const stopHeartbeating = keepHeartbeating(ctx);
  try {
    const hasBody = params.body !== undefined && params.method !== 'GET';
    const response = await undiciFetch(params.url, {
      dispatcher: agent,
      method: params.method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...params.headers },
      body: hasBody ? JSON.stringify(params.body) : undefined,
      signal: AbortSignal.any([stop, AbortSignal.timeout(params.timeout)]),
    });
    const text = await response.text();
    const result = {
      status: response.status,
      body: text.slice(0, BODY_EXCERPT_BYTES),
      durationMs: Date.now() - started,
    };
    if (!response.ok) {
      throw ApplicationFailure.create({
        type: 'ActionFailed',
        message: `${params.method} ${params.url} answered HTTP ${response.status}`,
        details: [result],
        // 4xx means the request itself is wrong; repeating it will not help.
        nonRetryable: response.status < 500,
      });
    }
    return result;
  } catch (err) {
    if (stop.aborted) throw stop.reason ?? err;
    if (err instanceof Error && err.name === 'TimeoutError') {
      throw ApplicationFailure.create({
        type: 'ActionTimedOut',
        message: `${params.method} ${params.url} timed out after ${params.timeout} ms`,
      });
    }
    throw err;
  } finally {
    stopHeartbeating();
  }
}
