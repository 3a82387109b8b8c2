import express from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/audit-store.js';
import { authenticate } from './auth/middleware.js';
import type { PrincipalDirectory } from './auth/principals.js';
import { errorHandler, HttpError } from './errors.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { incidentRoutes } from './routes/incidents.js';

export interface GatewayDependencies {
  client: Client;
  taskQueue: string;
  principals: PrincipalDirectory;
  audit: Pick<AuditStore, 'search'>;
  log: Logger;
}

/**
 * The gateway: authenticate, validate, translate into a workflow start, update, signal, query
 * or cancel, and map errors to HTTP. No incident rules live here; the workflow owns them.
 */
export function createApp(deps: GatewayDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  const v1 = express.Router();
  v1.use(express.json({ limit: '1mb', strict: true }));
  v1.use(authenticate(deps.principals));
  v1.use('/alerts', alertRoutes(deps.client, deps.taskQueue));
  v1.use('/incidents', incidentRoutes(deps.client));
  v1.use('/audit', auditRoutes(deps.audit));
  app.use('/v1', v1);

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log));
  return app;
}
