import type { Request, RequestHandler } from 'express';
import type { Actor, Role } from '../../domain/actor/actor.js';
import { HttpError } from '../errors.js';
import type { Authenticator } from './authenticator.js';
import { actorFor, type PrincipalDirectory } from './principals.js';
import { ReplayCache, verifyInterlockV1, verifyPagerDutyV1 } from './signatures.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
    /** The exact bytes received, kept for signature checks. */
    rawBody?: Buffer;
    /**
     * For a body signed with interlock-v1: an ID of this exact signed delivery. The replay cache
     * is per gateway; this ID makes the response itself record the delivery once, so a replay
     * sent to another gateway within the tolerance is counted as a duplicate, not a new alert.
     */
    signedDeliveryId?: string;
  }
}

function bearer(req: Request): string | undefined {
  return req.get('authorization')?.match(/^Bearer (\S+)$/i)?.[1];
}

export function authenticate(authenticator: Authenticator): RequestHandler {
  return (req, res, next) => {
    const token = bearer(req);
    if (!token) {
      res.set('WWW-Authenticate', 'Bearer');
      next(
        new HttpError(
          401,
          'unauthenticated',
          req.get('authorization')
            ? 'the Authorization header must be "Bearer <token>"'
            : 'an Authorization: Bearer <token> header is required',
        ),
      );
      return;
    }
    authenticator(token).then((outcome) => {
      if (!outcome.ok) {
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        next(new HttpError(401, 'unauthenticated', outcome.reason));
        return;
      }
      req.actor = actorFor(outcome.principal, req.get('x-interlock-channel'));
      next();
    }, next);
  };
}

/**
 * Alert sources authenticate with a bearer token, or, when they cannot hold one, by signing the
 * body: `X-Interlock-Signature` (timestamped, replay-protected) with `X-Interlock-Source: <id>`,
 * or PagerDuty's own `X-PagerDuty-Signature`.
 */
export function authenticateAlertSource(
  authenticator: Authenticator,
  directory: PrincipalDirectory,
  options: { toleranceSeconds: number },
): RequestHandler {
  const replays = new ReplayCache(2 * options.toleranceSeconds * 1000);
  const byBearer = authenticate(authenticator);
  return (req, res, next) => {
    if (bearer(req)) return byBearer(req, res, next);
    const raw = req.rawBody ?? Buffer.alloc(0);
    const pagerDuty = req.get('x-pagerduty-signature');
    const interlock = req.get('x-interlock-signature');
    let failure =
      'an Authorization: Bearer <token> header or a signed body (X-Interlock-Signature or X-PagerDuty-Signature) is required';
    if (pagerDuty) {
      for (const source of directory.signingSources.filter((s) => s.scheme === 'pagerduty-v1')) {
        const outcome = verifyPagerDutyV1(pagerDuty, source.secret, raw);
        if (outcome.ok) {
          req.actor = actorFor(source.principal, undefined);
          return next();
        }
        failure = outcome.reason;
      }
      if (!directory.signingSources.some((s) => s.scheme === 'pagerduty-v1'))
        failure = 'no PagerDuty signing secret is configured';
    } else if (interlock) {
      const id = req.get('x-interlock-source');
      const source = directory.signingSources.find((s) => s.scheme === 'interlock-v1' && s.principal.id === id);
      if (!source)
        failure = id
          ? `no signing alert source "${id}"`
          : 'X-Interlock-Source header is required with X-Interlock-Signature';
      else {
        const outcome = verifyInterlockV1(interlock, source.secret, raw, Date.now(), options.toleranceSeconds, replays);
        if (outcome.ok) {
          req.actor = actorFor(source.principal, undefined);
          req.signedDeliveryId = `sig-${interlock.match(/v1=([0-9a-f]{40})/i)?.[1] ?? ''}`;
          return next();
        }
        failure = outcome.reason;
      }
    }
    next(new HttpError(401, 'unauthenticated', failure));
  };
}

/** Coarse role check at the door; the workflow checks the finer rules (tier, self-approval). */
export function requireRole(roles: Role[], onRefused?: (req: Request) => void): RequestHandler {
  return (req, _res, next) => {
    if (!req.actor?.roles.some((r) => roles.includes(r))) {
      onRefused?.(req);
      next(new HttpError(403, 'forbidden', `this needs one of the roles: ${roles.join(', ')}`));
      return;
    }
    next();
  };
}
