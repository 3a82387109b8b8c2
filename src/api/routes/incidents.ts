import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal as protoTypes } from '@temporalio/proto';
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
      // An Unverified refusal was recorded by the workflow itself (see input-gate.ts).
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type !== 'Unverified'
      )
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
    // The raw visibility call, decoding search attributes only: they are never encrypted, while
    // a memo may be (payload codec), and a listing must not fail on one it cannot read.
    const query = clauses.join(' AND ');
    const incidents = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await withDeadline(
        client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query,
          pageSize: q.limit,
          nextPageToken,
        }),
      );
      for (const wf of page.executions ?? []) {
        const attr = (name: string) => searchAttribute(wf.searchAttributes?.indexedFields?.[name]);
        const workflowId = wf.execution?.workflowId ?? '';
        incidents.push({
          incidentId: attr('IncidentId') ?? workflowId.replace(/^incident-/, ''),
          workflowId,
          runId: wf.execution?.runId,
          status: statusName(wf.status),
          phase: attr('ResponsePhase'),
          service: attr('Service'),
          environment: attr('Environment'),
          severity: attr('Severity'),
          awaitingApproval: attr('AwaitingApproval') ?? false,
          startTime: timeOf(wf.startTime),
          closeTime: timeOf(wf.closeTime),
        });
        if (incidents.length >= q.limit) break;
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken && incidents.length < q.limit);
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

// A CommonJS package: its namespace comes off the default export under Node's ESM loader.
const { temporal } = proto;

/** One search attribute's value (the server stores them as JSON, some as one-element lists). */
function searchAttribute(payload: protoTypes.api.common.v1.IPayload | undefined): unknown {
  if (!payload) return undefined;
  const value = defaultPayloadConverter.fromPayload(payload);
  return Array.isArray(value) ? value[0] : value;
}

function statusName(status: protoTypes.api.enums.v1.WorkflowExecutionStatus | null | undefined): string {
  const name = temporal.api.enums.v1.WorkflowExecutionStatus[status ?? 0] ?? 'UNSPECIFIED';
  return name.replace(/^WORKFLOW_EXECUTION_STATUS_/, '');
}

function timeOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}
