import type { Client } from '@temporalio/client';
import type { AuditStore } from '../../clients/opensearch/audit-store.js';
import { AuditQueryError } from '../../clients/opensearch/audit-store.js';
import { INCIDENT_ID_PATTERN } from '../../domain/incident/incident-id.js';
import { queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';
import { verifyIncidentTrail, writeAuditExport } from '../audit-trail.js';

export function auditRoutes(mount: Mount, store: AuditStore, client?: Client) {
  const filters = (q: {
    q?: string;
    incident?: string;
    actor?: string;
    type?: string[];
    service?: string;
    environment?: string;
    channel?: string;
    playbook?: string;
    step?: string;
    team?: string;
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
    playbook: q.playbook,
    step: q.step,
    team: q.team,
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
    await writeAuditExport(res, store, { ...filters(q), sort: q.sort }, q.format);
  });

  mount(ROUTES.auditVerify, async (req, res) => {
    const q = parseOr400(queries.auditVerify, req.query, 'verify query');
    const verdict = await verifyIncidentTrail(store, client, q.incident);
    if (!verdict) throw new HttpError(404, 'not_found', `no audit events for incident ${q.incident}`);
    res.json(verdict);
  });

  mount(ROUTES.timeline, async (req, res) => {
    const id = String(req.params.id);
    if (!INCIDENT_ID_PATTERN.test(id)) throw new HttpError(404, 'not_found', `no incident "${id}"`);
    const q = parseOr400(queries.timeline, req.query, 'timeline query');
    if (q.limit === undefined && q.before === undefined) {
      // Every event, as this route always answered (a long-lived response: ask for pages).
      const events = await store.incidentEvents(id);
      if (events.length === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${id}`);
      return void res.json({ incidentId: id, events });
    }
    let page;
    try {
      page = await store.incidentTimelinePage(id, { limit: q.limit ?? 100, before: q.before });
    } catch (err) {
      if (err instanceof AuditQueryError) throw new HttpError(400, 'invalid_cursor', err.message);
      throw err;
    }
    if (page.total === 0) throw new HttpError(404, 'not_found', `no audit events for incident ${id}`);
    res.json({ incidentId: id, ...page });
  });
}
