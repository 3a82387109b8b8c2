import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../../domain/incident/incident-id.js';
import { decisionSchema, optOutSchema, stopRequestSchema } from '../../domain/response/inputs.js';
import { decideUpdate, optOutUpdate, statusQuery, stopRequestSignal } from '../../workflows/incident-response/messages.js';
import { requireRole } from '../auth/middleware.js';
import { HttpError } from '../errors.js';
import { parseOr400 } from '../validate.js';

const decisionBody = decisionSchema.pick({ decision: true, reason: true }).strict();
const reasonBody = optOutSchema.pick({ reason: true }).strict();
const stopBody = stopRequestSchema.pick({ reason: true }).strict();

export function incidentRoutes(client: Client): Router {
  const router = Router();

  const handleFor = (id: unknown) => {
    if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id)) throw new HttpError(404, 'not_found', `no incident "${id}" (incident ids look like am-<24 hex digits>)`);
    return client.workflow.getHandle(workflowIdFor(id));
  };

  /** An update to a response that has already ended fails with NotFound from the server. */
  const ensureRunning = async (handle: ReturnType<typeof handleFor>) => {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      throw new HttpError(409, 'ResponseClosed', `the response has already ended (${description.status.name.toLowerCase()})`);
    }
  };

  router.get('/:id', requireRole('responder', 'approver', 'auditor', 'admin'), async (req, res) => {
    res.json(await handleFor(req.params.id).query(statusQuery));
  });

  router.post('/:id/approvals/:approvalId', requireRole('approver'), async (req, res) => {
    const body = parseOr400(decisionBody, req.body, 'decision');
    const handle = handleFor(req.params.id);
    await ensureRunning(handle);
    const approval = await handle.executeUpdate(decideUpdate, {
      args: [{ approvalId: String(req.params.approvalId), decision: body.decision, reason: body.reason, actor: req.actor! }],
    });
    res.json(approval);
  });

  router.post('/:id/opt-out', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(reasonBody, req.body, 'opt-out');
    const handle = handleFor(req.params.id);
    await ensureRunning(handle);
    const optOut = await handle.executeUpdate(optOutUpdate, { args: [{ reason: body.reason, actor: req.actor! }] });
    res.json({ optOut });
  });

  /** Emergency stop: attribute it (signal), then cancel; the workflow unwinds and audits. */
  router.post('/:id/cancel', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(stopBody, req.body, 'cancel request');
    const handle = handleFor(req.params.id);
    await ensureRunning(handle);
    await handle.signal(stopRequestSignal, { reason: body.reason, actor: req.actor! });
    await handle.cancel();
    res.status(202).location(`/v1/incidents/${req.params.id}`).json({ cancelRequested: true });
  });

  return router;
}

