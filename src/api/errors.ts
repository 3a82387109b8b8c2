import type { ErrorRequestHandler } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { RefusalType } from '../contracts/refusals.js';

/** An error whose message is safe and useful to show the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Every refusal either workflow can give (the type makes a new one without a status a compile error). */
const REFUSAL_STATUS: Record<RefusalType, number> = {
  UnknownControl: 404,
  NotEngaged: 409,
  InvalidInput: 422,
  UnknownApproval: 404,
  UnknownStep: 404,
  UnknownOptOut: 404,
  ApprovalClosed: 409,
  NotAuthorized: 403,
  DuplicateApprover: 409,
  ResponseClosed: 409,
  // Not signed by this gateway (or a signature that failed): only a verified person may proceed.
  Unverified: 403,
  NothingToSettle: 409,
};

/** Temporal and body-parser errors in HTTP terms; anything unexpected is a 500 without details. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof WorkflowNotFoundError) return new HttpError(404, 'not_found', 'no such incident response');
  if (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type &&
    err.cause.type in REFUSAL_STATUS
  ) {
    return new HttpError(
      REFUSAL_STATUS[err.cause.type as keyof typeof REFUSAL_STATUS],
      err.cause.type,
      err.cause.message,
    );
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed')
    return new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new HttpError(413, 'body_too_large', 'the request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return new HttpError(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
  // Any other client error raised by the body parser (bad length, aborted upload, …).
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.type === 'string')
    return new HttpError(e.status, 'bad_request', e.message ?? 'bad request');
  return undefined;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const httpError = toHttpError(err);
    if (httpError) {
      res
        .status(httpError.status)
        .json({ error: { code: httpError.code, message: httpError.message, details: httpError.details } });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}
