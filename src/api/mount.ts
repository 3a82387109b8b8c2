import type { Express, RequestHandler } from 'express';
import type { RouteContract } from './contract.js';
import { HttpError } from './errors.js';

export type Mount = (route: RouteContract, handler: RequestHandler) => void;

/** Register a route from its contract: the guards come from `access`, never from the handler. */
export function createMount(
  app: Express,
  guards: {
    bearer: RequestHandler[];
    alertSource: RequestHandler[];
    role: (roles: string[], path: string) => RequestHandler;
    limit: RequestHandler;
  },
): Mount {
  return (route, handler) => {
    const chain =
      route.access === 'public' || route.access === 'integration' || route.access === 'sign-in'
        ? []
        : route.access === 'alert-source'
          ? [...guards.alertSource, guards.role(['alert-source'], route.path), guards.limit]
          : [...guards.bearer, guards.role(route.access, route.path), guards.limit];
    app[route.method](route.path, ...chain, handler);
  };
}

export const TEMPORAL_DEADLINE_MS = 10_000;

/** A request must not hang when Temporal or the worker does: answer 504 after a deadline. */
export async function withDeadline<T>(work: Promise<T>, ms = TEMPORAL_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new HttpError(
                504,
                'timeout',
                `Temporal did not answer within ${ms / 1000} s; the request may still take effect ` +
                  '(send it again with the same Idempotency-Key to learn its outcome without repeating it)',
              ),
            ),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
