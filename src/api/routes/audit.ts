import { stringify } from 'csv-stringify/sync';
import type { AuditStore } from '../../audit/audit-store.js';
import { AuditQueryError } from '../../audit/audit-store.js';
import { verifyChains } from '../../domain/audit/chain.js';
import { INCIDENT_ID_PATTERN } from '../../domain/incident/incident-id.js';
import { queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

const CSV_COLUMNS = ['time', 'incidentId', 'type', 'actorId', 'actorName', 'channel', 'reason', 'summary', 'stepId', 'approvalId', 'action', 'outcome', 'eventId', 'causedBy'];

export function auditRoutes(mount: Mount, store: AuditStore) {
  const filters = (q: { q?: string; incident?: string; actor?: string; type?: string[]; service?: string; environment?: string; channel?: string; from?: string; to?: string }) => ({
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
        ? stringify([[e.time, e.incidentId, e.type, e.actor.id, e.actor.name, e.actor.channel, e.reason ?? '', e.summary, e.stepId ?? '', e.approvalId ?? '', e.action ?? '', e.outcome ?? '', e.eventId, e.causedBy ?? '']])
        : `${JSON.stringify(e)}\n`;
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });

  mount(ROUTES.auditVerify, async (req, res) => {
    const q = parseOr400(queries.auditVerify, req.query, 'verify query');
    const events = await store.incidentEvents(q.incident);
    if (events.length === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${q.incident}`);
    res.json({ incidentId: q.incident, ...verifyChains(events) });
  });

  mount(ROUTES.timeline, async (req, res) => {
    const id = String(req.params.id);
    if (!INCIDENT_ID_PATTERN.test(id)) throw new HttpError(404, 'not_found', `no incident "${id}"`);
    const events = await store.incidentEvents(id);
    if (events.length === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${id}`);
    res.json({ incidentId: id, events });
  });
}
