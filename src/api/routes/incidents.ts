import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal as protoTypes } from '@temporalio/proto';
import type { Logger } from 'pino';
import type { DecisionSigner } from '../auth/decision-signer.js';
import type { Request } from 'express';
import * as msg from '../../contracts/incident-response.js';
import { bodies, queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import { workflowInputs } from '../workflow-inputs.js';
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
  const { handleFor, update } = workflowInputs(client, signer, log);
  const actorOf = (req: Request) => req.actor!;

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
