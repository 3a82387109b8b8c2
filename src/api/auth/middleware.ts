import type { RequestHandler } from 'express';
import type { Role } from '../../domain/actor/actor.js';
import { HttpError } from '../errors.js';
import { actorFor, type PrincipalDirectory } from './principals.js';
import type { Actor } from '../../domain/actor/actor.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

export function authenticate(directory: PrincipalDirectory): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const token = header?.match(/^Bearer (\S+)$/i)?.[1];
    const principal = token ? directory.authenticate(token) : undefined;
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer');
      next(new HttpError(401, 'unauthenticated', header ? 'the bearer token is not valid' : 'an Authorization: Bearer <token> header is required'));
      return;
    }
    req.actor = actorFor(principal, req.get('x-interlock-channel'));
    next();
  };
}

/** Coarse role check at the door; the workflow checks the finer rules (tier, self-approval). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.actor?.roles.some((r) => roles.includes(r))) {
      next(new HttpError(403, 'forbidden', `this needs one of the roles: ${roles.join(', ')}`));
      return;
    }
    next();
  };
}
