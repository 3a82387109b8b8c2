import type { AuditStore } from '../../audit/audit-store.js';
import { queries, ROUTES } from '../contract.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

export function auditRoutes(mount: Mount, store: Pick<AuditStore, 'search'>) {
  mount(ROUTES.auditSearch, async (req, res) => {
    const query = parseOr400(queries.auditSearch, req.query, 'search query');
    res.json(await store.search({ q: query.q, incidentId: query.incident, limit: query.limit }));
  });
}
