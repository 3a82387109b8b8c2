import { z } from 'zod';
import { GROUP_BY } from '../../domain/analytics/report.js';
import { commonErrors, reader, type RouteContract } from './schemas.js';

const when = z.iso.datetime({ offset: true, message: 'an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z' });
const facet = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - only');

export const analyticsQuery = z
  .object({
    from: when.optional(),
    to: when.optional(),
    groupBy: z.enum(GROUP_BY, { message: `one of ${GROUP_BY.join(', ')}` }).default('step'),
    playbook: facet.optional(),
    service: facet.optional(),
    team: facet.optional(),
    environment: facet.optional(),
  })
  .strict();

/** Analytics over the audit trail: who may search the trail may read what it adds up to. */
export const ANALYTICS_ROUTES = {
  analytics: {
    method: 'get',
    path: '/v1/analytics',
    summary:
      'Per playbook, step, action, service or team over a time range (default: the last 30 days): responses, ' +
      'automatic / approved / rejected / opted out / expired, approval latency p50/p95, escalations, adjusted ' +
      'inputs, time to mitigate, compensations, guardrail blocks; and recommendations with their evidence',
    tag: 'audit',
    access: reader,
    query: analyticsQuery,
    responses: {
      200: 'the report',
      400: 'a bad time range or an unknown groupBy',
      401: commonErrors[401],
      403: commonErrors[403],
    },
  },
} satisfies Record<string, RouteContract>;
