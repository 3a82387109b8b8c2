import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { alertmanagerWebhookSchema, normalizeAlertmanager } from '../../domain/incident/alertmanager.js';
import { incidentIdFor, workflowIdFor } from '../../domain/incident/incident-id.js';
import { alertSignal, INCIDENT_RESPONSE_WORKFLOW } from '../../workflows/incident-response/messages.js';
import { requireRole } from '../auth/middleware.js';
import { parseOr400 } from '../validate.js';

const intakeQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() }).strict();

export function alertRoutes(client: Client, taskQueue: string): Router {
  const router = Router();

  /**
   * Alertmanager webhook (v4). The workflow ID comes from the group key, and signal-with-start
   * is atomic on the server: every delivery for a group, however many arrive at once, lands in
   * the one running response.
   */
  router.post('/alertmanager', requireRole('alert-source'), async (req, res) => {
    const payload = parseOr400(alertmanagerWebhookSchema, req.body, 'Alertmanager webhook');
    const { dryRun } = parseOr400(intakeQuery, req.query, 'query string');
    const incidentId = incidentIdFor('alertmanager', payload.groupKey);
    const workflowId = workflowIdFor(incidentId);
    const handle = await client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
      workflowId,
      taskQueue,
      // Only a new response takes these; a delivery that joins one leaves its mode alone.
      args: [{ incidentId, dryRun: dryRun === 'true' }],
      signal: alertSignal,
      signalArgs: [normalizeAlertmanager(payload, incidentId, new Date())],
    });
    res
      .status(202)
      .location(`/v1/incidents/${incidentId}`)
      .json({ incidentId, workflowId, runId: handle.signaledRunId });
  });

  return router;
}
