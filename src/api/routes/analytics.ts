import type { Analytics } from '../../clients/opensearch/analytics-query.js';
import { timeRange } from '../../domain/analytics/report.js';
import { ROUTES } from '../contract.js';
import { analyticsQuery } from '../contract/analytics-routes.js';
import { HttpError } from '../errors.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

/** GET /v1/analytics: validate, then one aggregation search (src/clients/opensearch/analytics-query.ts). */
export function analyticsRoutes(mount: Mount, analytics: Analytics) {
  mount(ROUTES.analytics, async (req, res) => {
    const q = parseOr400(analyticsQuery, req.query, 'analytics query');
    const range = timeRange(q.from, q.to, Date.now());
    if ('problem' in range) throw new HttpError(400, 'invalid_request', `invalid analytics query: ${range.problem}`);
    res.json(await analytics.report({ ...q, ...range }));
  });
}
