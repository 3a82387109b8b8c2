import { Router } from 'express';
import { z } from 'zod';
import type { AuditStore } from '../../audit/audit-store.js';
import { requireRole } from '../auth/middleware.js';
import { parseOr400 } from '../validate.js';

const searchQuery = z
  .object({
    q: z.string().trim().min(1).max(1000).optional(),
    incident: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export function auditRoutes(store: Pick<AuditStore, 'search'>): Router {
  const router = Router();
  router.get('/search', requireRole('auditor', 'responder', 'approver', 'admin'), async (req, res) => {
    const query = parseOr400(searchQuery, req.query, 'search query');
    res.json(await store.search({ q: query.q, incidentId: query.incident, limit: query.limit }));
  });
  return router;
}
