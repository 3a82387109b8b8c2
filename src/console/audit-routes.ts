import { type Request, type Router } from 'express';
import { html } from './html.js';
import { auditPage, reviewPage } from './pages/other.js';
import { verifyIncidentTrail, writeAuditExport } from '../api/audit-trail.js';
import type { ConsoleDependencies } from './routes.js';
import { str, type ConsoleKit } from './kit.js';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../domain/audit/event.js';

/** Known event types among `type=` values (one or several); others are ignored. */
function typesOf(value: unknown): AuditEventType[] | undefined {
  const all = (Array.isArray(value) ? value : [value]).filter((t): t is AuditEventType =>
    (AUDIT_EVENT_TYPES as readonly unknown[]).includes(t),
  );
  return all.length ? all : undefined;
}

/** Audit search, export and an incident's review. */
export function auditPages(router: Router, deps: ConsoleDependencies, kit: ConsoleKit) {
  const { page } = kit;
  const auditFilters = (req: Request) => ({
    q: str(req.query.q) ?? '',
    from: str(req.query.from),
    to: str(req.query.to),
    // What an analytics recommendation links to: its step's events of some types.
    playbook: str(req.query.playbook),
    step: str(req.query.step),
    team: str(req.query.team),
    service: str(req.query.service),
    type: typesOf(req.query.type),
  });
  router.get('/audit', async (req, res) => {
    const f = auditFilters(req);
    const searching = Boolean(f.q || f.from || f.to || f.playbook || f.step || f.team || f.service || f.type);
    try {
      const result = searching
        ? await deps.audit.search({
            q: f.q || undefined,
            from: f.from,
            to: f.to,
            playbook: f.playbook,
            step: f.step,
            team: f.team,
            service: f.service,
            types: f.type,
            limit: 50,
            sort: f.q ? 'relevance' : 'newest',
          })
        : undefined;
      await page(res, 'Audit', auditPage(f, result));
    } catch (err) {
      await page(res, 'Audit', auditPage(f, undefined), { error: (err as Error).message }, 400);
    }
  });
  router.get('/audit/export', async (req, res) => {
    const f = auditFilters(req);
    const { q, type, ...rest } = f;
    await writeAuditExport(res, deps.audit, { ...rest, q: q || undefined, types: type, sort: 'oldest' }, 'csv');
  });
  router.get('/incidents/:id/review', async (req, res) => {
    const id = String(req.params.id);
    const events = await deps.audit.incidentEvents(id).catch(() => []);
    if (!events.length) return void (await page(res, 'Not found', html`<p>No audit events for ${id}.</p>`, {}, 404));
    const verdict = await verifyIncidentTrail(deps.audit, deps.client, id);
    await page(res, `Review of ${id}`, reviewPage(events, verdict as never));
  });
}
