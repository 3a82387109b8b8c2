import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import { sealProblem } from '../domain/audit/seal.js';
import { chainOf, closingProblem, verifyChains, type ChainHead, type RunEnd } from '../domain/audit/chain.js';
import type { AuditEvent } from '../domain/audit/event.js';
import { workflowIdFor } from '../domain/incident/incident-id.js';
import { withDeadline } from './mount.js';

const CSV_COLUMNS = [
  'time',
  'incidentId',
  'type',
  'actorId',
  'actorName',
  'channel',
  'reason',
  'summary',
  'stepId',
  'approvalId',
  'action',
  'outcome',
  'eventId',
  'causedBy',
];

/** Streams: an export of millions of events never sits in memory (the API's export and the console's). */
export async function writeAuditExport(
  res: Response,
  store: AuditStore,
  query: Parameters<AuditStore['scan']>[0],
  format: 'ndjson' | 'csv',
): Promise<void> {
  const csv = format === 'csv';
  res.status(200).type(csv ? 'text/csv' : 'application/x-ndjson');
  res.setHeader('content-disposition', `attachment; filename="audit-export.${csv ? 'csv' : 'ndjson'}"`);
  if (csv) res.write(stringify([CSV_COLUMNS]));
  for await (const e of store.scan(query)) {
    const line = csv
      ? stringify([
          [
            e.time,
            e.incidentId,
            e.type,
            e.actor.id,
            e.actor.name,
            e.actor.channel,
            e.reason ?? '',
            e.summary,
            e.stepId ?? '',
            e.approvalId ?? '',
            e.action ?? '',
            e.outcome ?? '',
            e.eventId,
            e.causedBy ?? '',
          ],
        ])
      : `${JSON.stringify(e)}\n`;
    if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

/**
 * Is an incident's stored trail intact: its links, its seals (when keys are configured), and
 * for an ended response, its closing event where Temporal's recorded trail ends. Undefined when
 * there are no events for it.
 */
export async function verifyIncidentTrail(store: AuditStore, client: Client | undefined, incidentId: string) {
  const events = await store.incidentEvents(incidentId);
  if (events.length === 0) return undefined;
  const { heads, head, endOf } = await recordedHeads(client, incidentId);
  const verdict = verifyChains(events, heads);
  // Links intact: is every event sealed with the audit key (when one is configured), and does
  // each ended response's trail end with its closing event?
  const keys = store.macKeys;
  const unsealed = verdict.intact && keys ? events.find((e) => sealProblem(e, keys)) : undefined;
  const unclosed = unsealed
    ? { eventId: unsealed.eventId, sequence: unsealed.sequence, problem: sealProblem(unsealed, keys!)! }
    : verdict.intact
      ? closingProblem(events, endOf)
      : undefined;
  return {
    incidentId,
    ...(unclosed ? { intact: false, chains: verdict.chains, events: verdict.events, firstBroken: unclosed } : verdict),
    head,
  };
}

/**
 * The chain's links alone cannot show that its newest events were deleted. A response that
 * ended flushed every event to the store first, and Temporal still holds its recorded trail
 * (until retention): the stored chain must end where that trail ends.
 */
async function recordedHeads(
  client: Client | undefined,
  incidentId: string,
): Promise<{ heads: ChainHead[]; head: { checked: boolean; reason?: string }; endOf: (chain: string) => RunEnd }> {
  // Runs other than Temporal's latest have ended (a newer one started); so has one it forgot.
  const ended = (): RunEnd => 'ended';
  if (!client) return { heads: [], head: { checked: false, reason: 'no Temporal client' }, endOf: () => 'running' };
  const workflowId = workflowIdFor(incidentId);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const { status, runId, raw } = await withDeadline(handle.describe(), 5000);
    // A response that continued as new keeps one chain, named by its first run (state.ts).
    const firstRunId = raw.workflowExecutionInfo?.firstRunId || runId;
    const latest = new Set([`${workflowId}:${runId}`, `${workflowId}:${firstRunId}`]);
    const latestEnd: RunEnd =
      status.name === 'RUNNING'
        ? 'running'
        : status.name === 'COMPLETED' || status.name === 'CANCELLED'
          ? 'ended'
          : 'bypassed';
    const endOf = (chain: string): RunEnd => (latest.has(chain) ? latestEnd : 'ended');
    // Only these end after the trail's final flush; a running response may not be indexed yet.
    if (status.name !== 'COMPLETED' && status.name !== 'CANCELLED')
      return {
        heads: [],
        head: {
          checked: false,
          reason: `the response is ${status.name.toLowerCase()}: its newest events may not be indexed`,
        },
        endOf,
      };
    // The newest page is enough: it ends with the head of each chain this response holds.
    const { timeline } = await withDeadline(handle.query<{ timeline: AuditEvent[] }>('status'), 5000);
    const last = new Map(timeline.map((e) => [chainOf(e), { eventId: e.eventId, sequence: e.sequence, hash: e.hash }]));
    return { heads: [...last.values()], head: { checked: true }, endOf };
  } catch (err) {
    return {
      heads: [],
      head: {
        checked: false,
        reason:
          err instanceof WorkflowNotFoundError
            ? 'Temporal no longer holds the response'
            : `Temporal did not answer: ${(err as Error).message}`,
      },
      endOf: err instanceof WorkflowNotFoundError ? ended : () => 'running',
    };
  }
}
