import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal as protoTypes } from '@temporalio/proto';
import type { z } from 'zod';
import * as msg from '../contracts/incident-response.js';
import type { queries } from './contract.js';
import { withDeadline } from './mount.js';

export type IncidentListQuery = z.infer<typeof queries.list>;
export type IncidentListEntry = Awaited<ReturnType<typeof listIncidents>>['incidents'][number];

/**
 * Responses through Temporal visibility on the custom search attributes: the list route and the
 * console's live list read the same way.
 */
export async function listIncidents(client: Client, q: IncidentListQuery) {
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
        incidentId: String(attr('IncidentId') ?? workflowId.replace(/^incident-/, '')),
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
  return { incidents, query: clauses.join(' AND ') };
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
