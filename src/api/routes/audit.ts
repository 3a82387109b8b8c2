import { stringify } from 'csv-stringify/sync';
import type { AuditStore } from '../../clients/opensearch/audit-store.js';
import { AuditQueryError } from '../../clients/opensearch/audit-store.js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sealProblem } from '../../domain/audit/seal.js';
import { chainOf, closingProblem, verifyChains, type ChainHead, type RunEnd } from '../../domain/audit/chain.js';
import type { AuditEvent } from '../../domain/audit/event.js';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../../domain/incident/incident-id.js';
import { queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

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

export function auditRoutes(mount: Mount, store: AuditStore, client?: Client) {
  const filters = (q: {
    q?: string;
    incident?: string;
    actor?: string;
    type?: string[];
    service?: string;
    environment?: string;
    channel?: string;
    from?: string;
    to?: string;
  }) => ({
    q: q.q,
    incidentId: q.incident,
    actor: q.actor,
    types: q.type,
    service: q.service,
    environment: q.environment,
    channel: q.channel,
    from: q.from,
    to: q.to,
  });

  mount(ROUTES.auditSearch, async (req, res) => {
    const q = parseOr400(queries.auditSearch, req.query, 'search query');
    try {
      res.json(await store.search({ ...filters(q), sort: q.sort, limit: q.limit, cursor: q.cursor }));
    } catch (err) {
      if (err instanceof AuditQueryError) throw new HttpError(400, 'invalid_cursor', err.message);
      throw err;
    }
  });

  /** Streams: an export of millions of events never sits in memory. */
  mount(ROUTES.auditExport, async (req, res) => {
    const q = parseOr400(queries.auditExport, req.query, 'export query');
    const csv = q.format === 'csv';
    res.status(200).type(csv ? 'text/csv' : 'application/x-ndjson');
    res.setHeader('content-disposition', `attachment; filename="audit-export.${csv ? 'csv' : 'ndjson'}"`);
    if (csv) res.write(stringify([CSV_COLUMNS]));
    for await (const e of store.scan({ ...filters(q), sort: q.sort })) {
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
  });

  /**
   * The chain's links alone cannot show that its newest events were deleted. A response that
   * ended flushed every event to the store first, and Temporal still holds its recorded trail
   * (until retention): the stored chain must end where that trail ends.
   */
  async function recordedHeads(
    incidentId: string,
  ): Promise<{ heads: ChainHead[]; head: { checked: boolean; reason?: string }; endOf: (chain: string) => RunEnd }> {
    // Runs other than Temporal's latest have ended (a newer one started); so has one it forgot.
    const ended = (): RunEnd => 'ended';
    if (!client) return { heads: [], head: { checked: false, reason: 'no Temporal client' }, endOf: () => 'running' };
    const workflowId = workflowIdFor(incidentId);
    const handle = client.workflow.getHandle(workflowId);
    try {
      const { status, runId } = await withDeadline(handle.describe(), 5000);
      const latest = `${workflowId}:${runId}`;
      const latestEnd: RunEnd =
        status.name === 'RUNNING'
          ? 'running'
          : status.name === 'COMPLETED' || status.name === 'CANCELLED'
            ? 'ended'
            : 'bypassed';
      const endOf = (chain: string): RunEnd => (chain === latest ? latestEnd : 'ended');
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
      const { timeline } = await withDeadline(handle.query<{ timeline: AuditEvent[] }>('status'), 5000);
      const last = new Map(
        timeline.map((e) => [chainOf(e), { eventId: e.eventId, sequence: e.sequence, hash: e.hash }]),
      );
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

  mount(ROUTES.auditVerify, async (req, res) => {
    const q = parseOr400(queries.auditVerify, req.query, 'verify query');
    const events = await store.incidentEvents(q.incident);
    if (events.length === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${q.incident}`);
    const { heads, head, endOf } = await recordedHeads(q.incident);
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
    res.json({
      incidentId: q.incident,
      ...(unclosed
        ? { intact: false, chains: verdict.chains, events: verdict.events, firstBroken: unclosed }
        : verdict),
      head,
    });
  });

  mount(ROUTES.timeline, async (req, res) => {
    const id = String(req.params.id);
    if (!INCIDENT_ID_PATTERN.test(id)) throw new HttpError(404, 'not_found', `no incident "${id}"`);
    const events = await store.incidentEvents(id);
    if (events.length === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${id}`);
    res.json({ incidentId: id, events });
  });
}
