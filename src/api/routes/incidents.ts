import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Actor } from '../../domain/actor/actor.js';
import type { DecisionSigner } from '../auth/decision-signer.js';
import type { UpdateDefinition } from '@temporalio/common';
import type { Request } from 'express';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../../domain/incident/incident-id.js';
import * as msg from '../../contracts/incident-response.js';
import { bodies, queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

export function incidentRoutes(
  mount: Mount,
  client: Client,
  metrics: GatewayMetrics,
  signer: DecisionSigner | undefined,
  log: Logger,
) {
  const handleFor = (id: unknown) => {
    if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id))
      throw new HttpError(404, 'not_found', `no incident "${String(id)}" (incident ids look like am-<24 hex digits>)`);
    return client.workflow.getHandle(workflowIdFor(id));
  };
  const actorOf = (req: Request) => req.actor!;

  /**
   * Send an update straight away (one round trip on the hot path), signed: the workflow takes the
   * person from the signature (src/api/auth/decision-signer.ts). A refusal is recorded in the
   * response's trail before it is answered. Only when the server says "not found" do we look
   * closer, because that is also its answer for a response that ended.
   */
  async function update<R, A extends { actor: Actor }>(
    handle: WorkflowHandle,
    def: UpdateDefinition<R, [A]>,
    arg: A,
  ): Promise<R> {
    const signed = signer ? { ...arg, attestation: signer.attest(arg.actor, handle.workflowId, def.name, arg) } : arg;
    try {
      return await withDeadline(handle.executeUpdate(def, { args: [signed] }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
        reportRefusal(handle, arg.actor, def.name, err.cause.message);
      if (
        err instanceof HttpError ||
        (!(err instanceof WorkflowNotFoundError) && !/not found|already completed/i.test((err as Error).message ?? ''))
      )
        throw err;
      const description = await handle.describe().catch(() => undefined);
      if (!description) throw new HttpError(404, 'not_found', 'no such incident response');
      throw new HttpError(
        409,
        'ResponseClosed',
        `the response has already ended (${description.status.name.toLowerCase()})`,
      );
    }
  }

  /** Record a refused attempt in the response's trail; a failure to record is logged, not fatal. */
  function reportRefusal(handle: WorkflowHandle, actor: Actor, input: string, reason: string) {
    void handle
      .signal(msg.refusedInputSignal, {
        actor: { id: actor.id, name: actor.name, channel: actor.channel },
        input,
        reason,
      })
      .catch((err: unknown) => log.warn({ err, input }, 'could not record a refused input'));
  }

  /** Lists responses through Temporal visibility on the custom search attributes. */
  mount(ROUTES.listIncidents, async (req, res) => {
    const q = parseOr400(queries.list, req.query, 'list query');
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

  mount(ROUTES.getIncident, async (req, res) => {
    res.json(await withDeadline(handleFor(req.params.id).query(msg.statusQuery)));
  });

  mount(ROUTES.decide, async (req, res) => {
    const body = parseOr400(bodies.decision, req.body, 'decision');
    const approval = await update(handleFor(req.params.id), msg.decideUpdate, {
      approvalId: String(req.params.approvalId),
      ...body,
      actor: actorOf(req),
    });
    metrics.decisions.inc({ decision: body.decision });
    metrics.approvalLatency.observe((Date.now() - Date.parse(approval.requestedAt)) / 1000);
    res.json(approval);
  });

  mount(ROUTES.optOut, async (req, res) => {
    const body = parseOr400(bodies.optOut, req.body, 'opt-out');
    const optOut = await update(handleFor(req.params.id), msg.optOutUpdate, { ...body, actor: actorOf(req) });
    metrics.optOuts.inc({ mode: optOut.mode, scope: optOut.scope.kind });
    res.json({ optOut });
  });

  mount(ROUTES.optIn, async (req, res) => {
    const body = parseOr400(bodies.optIn, req.body, 'opt-in');
    res.json({ released: await update(handleFor(req.params.id), msg.optInUpdate, { ...body, actor: actorOf(req) }) });
  });

  mount(ROUTES.override, async (req, res) => {
    const body = parseOr400(bodies.override, req.body, 'override');
    res
      .status(201)
      .json({ override: await update(handleFor(req.params.id), msg.overrideUpdate, { ...body, actor: actorOf(req) }) });
  });

  mount(ROUTES.note, async (req, res) => {
    const body = parseOr400(bodies.note, req.body, 'note');
    await update(handleFor(req.params.id), msg.addNoteUpdate, { ...body, actor: actorOf(req) });
    res.status(201).json({ noted: true });
  });

  mount(ROUTES.resolve, async (req, res) => {
    const body = parseOr400(bodies.resolve, req.body, 'resolution');
    await update(handleFor(req.params.id), msg.resolveUpdate, { ...body, actor: actorOf(req) });
    res.json({ resolved: true });
  });

  /** Emergency stop: attribute it (signal), then cancel; the workflow unwinds and audits. */
  mount(ROUTES.cancel, async (req, res) => {
    const body = parseOr400(bodies.stop, req.body, 'cancel request');
    const handle = handleFor(req.params.id);
    const description = await withDeadline(handle.describe());
    if (description.status.name !== 'RUNNING')
      throw new HttpError(
        409,
        'ResponseClosed',
        `the response has already ended (${description.status.name.toLowerCase()})`,
      );
    const stop = { ...body, actor: actorOf(req) };
    const attestation = signer?.attest(stop.actor, handle.workflowId, msg.stopRequestSignal.name, stop);
    await withDeadline(handle.signal(msg.stopRequestSignal, attestation ? { ...stop, attestation } : stop));
    await withDeadline(handle.cancel());
    res.status(202).location(`/v1/incidents/${req.params.id}`).json({ cancelRequested: true });
  });
}
