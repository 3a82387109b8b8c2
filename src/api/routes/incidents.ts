import { Router } from 'express';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../../domain/incident/incident-id.js';
import { decisionSchema, noteSchema, optInSchema, optOutSchema, overrideSchema, resolveSchema, stopRequestSchema } from '../../domain/response/inputs.js';
import type { Actor } from '../../domain/actor/actor.js';
import * as msg from '../../workflows/incident-response/messages.js';
import { requireRole } from '../auth/middleware.js';
import { HttpError } from '../errors.js';
import { parseOr400 } from '../validate.js';

// Bodies are the workflow's input schemas without the actor: the gateway adds the authenticated one.
const decisionBody = decisionSchema.omit({ actor: true, approvalId: true }).strict();
const optOutBody = optOutSchema.omit({ actor: true }).strict();
const optInBody = optInSchema.omit({ actor: true }).strict();
const noteBody = noteSchema.omit({ actor: true }).strict();
const resolveBody = resolveSchema.omit({ actor: true }).strict();
const stopBody = stopRequestSchema.omit({ actor: true }).strict();
const [skipStep, requireApproval, setInputs] = overrideSchema.options;
const overrideBody = z.discriminatedUnion('type', [
  skipStep.omit({ actor: true }).strict(),
  requireApproval.omit({ actor: true }).strict(),
  setInputs.omit({ actor: true }).strict(),
]);

const PHASES = ['waiting-for-alert', 'diagnosing', 'awaiting-approval', 'objection-window', 'mitigating', 'verifying', 'notifying', 'opted-out', 'handed-over', 'completed', 'resolved', 'no-playbook', 'cancelled', 'failed'] as const;
// Values go into a visibility query: a strict alphabet keeps them from changing its meaning.
const facet = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - only');
const listQuery = z
  .object({
    service: facet.optional(),
    environment: facet.optional(),
    severity: facet.optional(),
    phase: z.enum(PHASES).optional(),
    awaitingApproval: z.enum(['true', 'false']).optional(),
    open: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export function incidentRoutes(client: Client): Router {
  const router = Router();

  const handleFor = (id: unknown) => {
    if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id)) throw new HttpError(404, 'not_found', `no incident "${String(id)}" (incident ids look like am-<24 hex digits>)`);
    return client.workflow.getHandle(workflowIdFor(id));
  };

  /**
   * Send an update straight away (one round trip on the hot path); only when the server says
   * "not found" do we look closer, because that is also its answer for a response that ended.
   */
  async function update<R, A>(handle: WorkflowHandle, def: UpdateDefinition<R, [A]>, arg: A): Promise<R> {
    try {
      return await handle.executeUpdate(def, { args: [arg] });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) && !/not found|already completed/i.test((err as Error).message ?? '')) throw err;
      const description = await handle.describe().catch(() => undefined);
      if (!description) throw new HttpError(404, 'not_found', 'no such incident response');
      throw new HttpError(409, 'ResponseClosed', `the response has already ended (${description.status.name.toLowerCase()})`);
    }
  }

  const actorOf = (req: { actor?: Actor }) => req.actor!;

  /** Lists responses through Temporal visibility on the custom search attributes. */
  router.get('/', requireRole('responder', 'approver', 'auditor', 'admin'), async (req, res) => {
    const q = parseOr400(listQuery, req.query, 'list query');
    const clauses = [`WorkflowType = '${msg.INCIDENT_RESPONSE_WORKFLOW}'`];
    if (q.service) clauses.push(`Service = '${q.service}'`);
    if (q.environment) clauses.push(`Environment = '${q.environment}'`);
    if (q.severity) clauses.push(`Severity = '${q.severity}'`);
    if (q.phase) clauses.push(`ResponsePhase = '${q.phase}'`);
    if (q.awaitingApproval) clauses.push(`AwaitingApproval = ${q.awaitingApproval}`);
    if (q.open) clauses.push(q.open === 'true' ? `ExecutionStatus = 'Running'` : `ExecutionStatus != 'Running'`);
    const incidents = [];
    for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: q.limit })) {
      const attr = (name: string) => (wf.searchAttributes[name] as unknown[] | undefined)?.[0];
      incidents.push({
        incidentId: attr('IncidentId') ?? wf.workflowId.replace(/^incident-/, ''),
        workflowId: wf.workflowId,
        runId: wf.runId,
        status: wf.status.name,
        phase: attr('ResponsePhase'),
        service: attr('Service'),
        environment: attr('Environment'),
        severity: attr('Severity'),
        awaitingApproval: attr('AwaitingApproval') ?? false,
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString(),
      });
      if (incidents.length >= q.limit) break;
    }
    res.json({ incidents, query: clauses.join(' AND ') });
  });

  router.get('/:id', requireRole('responder', 'approver', 'auditor', 'admin'), async (req, res) => {
    res.json(await handleFor(req.params.id).query(msg.statusQuery));
  });

  router.post('/:id/approvals/:approvalId', requireRole('approver', 'responder'), async (req, res) => {
    const body = parseOr400(decisionBody, req.body, 'decision');
    const approval = await update(handleFor(req.params.id), msg.decideUpdate, {
      approvalId: String(req.params.approvalId),
      decision: body.decision,
      reason: body.reason,
      inputs: body.inputs,
      actor: actorOf(req),
    });
    res.json(approval);
  });

  router.post('/:id/opt-out', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(optOutBody, req.body, 'opt-out');
    const optOut = await update(handleFor(req.params.id), msg.optOutUpdate, { ...body, actor: actorOf(req) });
    res.json({ optOut });
  });

  router.post('/:id/opt-in', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(optInBody, req.body, 'opt-in');
    const released = await update(handleFor(req.params.id), msg.optInUpdate, { ...body, actor: actorOf(req) });
    res.json({ released });
  });

  router.post('/:id/overrides', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(overrideBody, req.body, 'override');
    const override = await update(handleFor(req.params.id), msg.overrideUpdate, { ...body, actor: actorOf(req) });
    res.status(201).json({ override });
  });

  router.post('/:id/notes', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(noteBody, req.body, 'note');
    await update(handleFor(req.params.id), msg.addNoteUpdate, { ...body, actor: actorOf(req) });
    res.status(201).json({ noted: true });
  });

  router.post('/:id/resolve', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(resolveBody, req.body, 'resolution');
    await update(handleFor(req.params.id), msg.resolveUpdate, { ...body, actor: actorOf(req) });
    res.json({ resolved: true });
  });

  /** Emergency stop: attribute it (signal), then cancel; the workflow unwinds and audits. */
  router.post('/:id/cancel', requireRole('responder', 'approver', 'admin'), async (req, res) => {
    const body = parseOr400(stopBody, req.body, 'cancel request');
    const handle = handleFor(req.params.id);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      throw new HttpError(409, 'ResponseClosed', `the response has already ended (${description.status.name.toLowerCase()})`);
    }
    await handle.signal(msg.stopRequestSignal, { ...body, actor: actorOf(req) });
    await handle.cancel();
    res.status(202).location(`/v1/incidents/${req.params.id}`).json({ cancelRequested: true });
  });

  return router;
}
