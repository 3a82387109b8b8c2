import { z } from 'zod';
import { RESPONSE_PHASES } from '../contracts/phases.js';
import { CHANNELS, type Role } from '../domain/actor/actor.js';
import { AUDIT_EVENT_TYPES } from '../domain/audit/event.js';
import { INCIDENT_ID_PATTERN } from '../domain/incident/incident-id.js';
import { alertmanagerWebhookSchema } from '../domain/incident/alertmanager.js';
import { genericAlertSchema } from '../domain/incident/generic.js';
import { grafanaWebhookSchema } from '../domain/incident/grafana.js';
import { pagerDutyWebhookSchema } from '../domain/incident/pagerduty.js';
import {
  freezeInOrder,
  freezeInputBase,
  killSwitchInputSchema,
  pauseInputSchema,
  releaseInputSchema,
  removeInputSchema,
  ruleInputBase,
  ruleNeedsTier,
} from '../domain/guardrails/controls.js';
import {
  decisionSchema,
  noteSchema,
  optInSchema,
  optOutSchema,
  overrideSchema,
  resolveSchema,
  stopRequestSchema,
} from '../domain/response/inputs.js';

/**
 * Every HTTP route: its method, path, who may call it and the schemas that validate it. The
 * routers validate with these schemas and /v1/openapi.json is generated from them, so the
 * document and the behaviour cannot drift apart.
 */
export interface RouteContract {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  tag: 'alerts' | 'incidents' | 'audit' | 'guardrails' | 'operations';
  /** Roles that may call it; 'public' needs no authentication; 'alert-source' also accepts signed bodies. */
  access: Role[] | 'public' | 'alert-source';
  params?: Record<string, string>;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Partial<Record<200 | 201 | 202 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503 | 504, string>>;
}

// Bodies are the workflow's input schemas without the actor: the gateway adds the authenticated one.
const [skipStep, requireApproval, setInputs] = overrideSchema.options;
export const bodies = {
  decision: decisionSchema.omit({ actor: true, approvalId: true }).strict(),
  optOut: optOutSchema.omit({ actor: true }).strict(),
  optIn: optInSchema.omit({ actor: true }).strict(),
  override: z.discriminatedUnion('type', [
    skipStep.omit({ actor: true }).strict(),
    requireApproval.omit({ actor: true }).strict(),
    setInputs.omit({ actor: true }).strict(),
  ]),
  note: noteSchema.omit({ actor: true }).strict(),
  resolve: resolveSchema.omit({ actor: true }).strict(),
  stop: stopRequestSchema.omit({ actor: true }).strict(),
  killSwitch: killSwitchInputSchema.omit({ actor: true }).strict(),
  release: releaseInputSchema.omit({ actor: true }).strict(),
  pause: pauseInputSchema.omit({ actor: true }).strict(),
  rule: ruleNeedsTier(ruleInputBase.omit({ actor: true }).strict()),
  freeze: freezeInOrder(freezeInputBase.omit({ actor: true }).strict()),
  remove: removeInputSchema.omit({ actor: true, id: true }).strict(),
};

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(50)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);
const when = z.iso.datetime({ offset: true, message: 'an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z' });
/** Filters shared by audit search and export. */
const auditFilters = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .refine((q) => (q.match(/"/g)?.length ?? 0) % 2 === 0, 'unbalanced double quote in q')
    .optional(),
  incident: z.string().regex(INCIDENT_ID_PATTERN, 'an incident ID like am-<24 hex digits>').optional(),
  actor: z.string().min(1).max(200).optional(),
  type: oneOrMany(z.enum(AUDIT_EVENT_TYPES)).optional(),
  service: z.string().min(1).max(200).optional(),
  environment: z.string().min(1).max(200).optional(),
  channel: z.enum(CHANNELS).optional(),
  from: when.optional(),
  to: when.optional(),
});

// Values go into a visibility query: a strict alphabet keeps them from changing its meaning.
const facet = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - only');
export const queries = {
  intake: z.object({ dryRun: z.enum(['true', 'false']).optional() }).strict(),
  list: z
    .object({
      service: facet.optional(),
      environment: facet.optional(),
      severity: facet.optional(),
      phase: z.enum(RESPONSE_PHASES).optional(),
      awaitingApproval: z.enum(['true', 'false']).optional(),
      open: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    })
    .strict(),
  auditSearch: auditFilters
    .extend({
      sort: z.enum(['relevance', 'newest', 'oldest']).default('relevance'),
      limit: z.coerce
        .number()
        .int()
        .min(1, 'at least 1')
        .max(200, 'at most 200 per page; use the cursor for more')
        .default(50),
      cursor: z.string().min(1).max(4000).optional(),
    })
    .strict()
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] }),
  auditExport: auditFilters
    .extend({
      format: z.enum(['ndjson', 'csv']).default('ndjson'),
      sort: z.enum(['newest', 'oldest']).default('oldest'),
    })
    .strict()
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] }),
  auditVerify: z
    .object({ incident: z.string().regex(INCIDENT_ID_PATTERN, 'an incident ID like am-<24 hex digits>') })
    .strict(),
};

const id = { id: 'incident ID, e.g. am-<24 hex digits>' };
const responder: Role[] = ['responder', 'approver', 'admin'];
const reader: Role[] = ['responder', 'approver', 'auditor', 'admin'];
const commonErrors = {
  400: 'malformed JSON or a wrong shape',
  401: 'not authenticated',
  403: 'not allowed',
  404: 'no such incident',
  409: 'the response has ended',
  429: 'rate limited',
} as const;
const intake = (summary: string, body: z.ZodType): RouteContract => ({
  method: 'post',
  path: '',
  summary,
  tag: 'alerts',
  access: 'alert-source',
  query: queries.intake,
  body,
  responses: {
    202: 'accepted: the response was opened or joined (Location: the incident)',
    400: 'malformed JSON or a wrong shape',
    401: 'not authenticated',
    403: 'not an alert source',
    413: 'body too large',
    429: 'rate limited',
  },
});

export const ROUTES = {
  alertmanager: {
    ...intake('Prometheus Alertmanager webhook (version 4)', alertmanagerWebhookSchema),
    path: '/v1/alerts/alertmanager',
  },
  grafana: { ...intake('Grafana alerting webhook contact point', grafanaWebhookSchema), path: '/v1/alerts/grafana' },
  pagerduty: {
    ...intake(
      'PagerDuty webhook v3 (incident.triggered opens or joins; incident.resolved is recorded)',
      pagerDutyWebhookSchema,
    ),
    path: '/v1/alerts/pagerduty',
  },
  generic: { ...intake('Any system that can POST JSON', genericAlertSchema), path: '/v1/alerts/generic' },
  listIncidents: {
    method: 'get',
    path: '/v1/incidents',
    summary: 'List responses (Temporal visibility on custom search attributes)',
    tag: 'incidents',
    access: reader,
    query: queries.list,
    responses: { 200: 'the responses', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  getIncident: {
    method: 'get',
    path: '/v1/incidents/:id',
    summary: 'The live status of one response',
    tag: 'incidents',
    access: reader,
    params: id,
    responses: { 200: 'status', 401: commonErrors[401], 403: commonErrors[403], 404: commonErrors[404] },
  },
  decide: {
    method: 'post',
    path: '/v1/incidents/:id/approvals/:approvalId',
    summary: 'Approve, reject or object (optionally adjusting inputs)',
    tag: 'incidents',
    access: ['approver', 'responder'],
    params: { ...id, approvalId: 'approval request ID' },
    body: bodies.decision,
    responses: { 200: 'the request after the decision', ...commonErrors, 422: 'inputs out of bounds' },
  },
  optOut: {
    method: 'post',
    path: '/v1/incidents/:id/opt-out',
    summary: 'Opt out of the response, a step or an action type',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.optOut,
    responses: { 200: 'the opt-out', ...commonErrors },
  },
  optIn: {
    method: 'post',
    path: '/v1/incidents/:id/opt-in',
    summary: 'Release opt-outs; automation resumes',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.optIn,
    responses: { 200: 'the released opt-outs', ...commonErrors },
  },
  override: {
    method: 'post',
    path: '/v1/incidents/:id/overrides',
    summary: 'Skip a step, require approval for it, or set its inputs',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.override,
    responses: { 201: 'the override', ...commonErrors, 422: 'inputs out of bounds' },
  },
  note: {
    method: 'post',
    path: '/v1/incidents/:id/notes',
    summary: 'Add a note (manual work)',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.note,
    responses: { 201: 'noted', ...commonErrors },
  },
  resolve: {
    method: 'post',
    path: '/v1/incidents/:id/resolve',
    summary: 'Close the response with a resolution',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.resolve,
    responses: { 200: 'resolved', ...commonErrors },
  },
  cancel: {
    method: 'post',
    path: '/v1/incidents/:id/cancel',
    summary: 'Emergency stop: interrupt, compensate, end CANCELED',
    tag: 'incidents',
    access: responder,
    params: id,
    body: bodies.stop,
    responses: { 202: 'cancellation requested', ...commonErrors },
  },
  auditSearch: {
    method: 'get',
    path: '/v1/audit/search',
    summary: 'Full-text search of the audit trail: filters, sort, highlights, facets, cursor pagination',
    tag: 'audit',
    access: reader,
    query: queries.auditSearch,
    responses: { 200: 'matching events', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  auditExport: {
    method: 'get',
    path: '/v1/audit/export',
    summary: 'Stream every matching event as NDJSON or CSV',
    tag: 'audit',
    access: reader,
    query: queries.auditExport,
    responses: { 200: 'the events', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  auditVerify: {
    method: 'get',
    path: '/v1/audit/verify',
    summary: "Recompute an incident's hash chains and report the first broken link",
    tag: 'audit',
    access: reader,
    query: queries.auditVerify,
    responses: { 200: 'the verdict', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  timeline: {
    method: 'get',
    path: '/v1/incidents/:id/timeline',
    summary: 'The ordered audit trail of one response',
    tag: 'incidents',
    access: reader,
    params: id,
    responses: { 200: 'the events in order', 401: commonErrors[401], 403: commonErrors[403], 404: commonErrors[404] },
  },
  guardrails: {
    method: 'get',
    path: '/v1/guardrails',
    summary: 'Every control in force',
    tag: 'guardrails',
    access: reader,
    responses: { 200: 'the controls', 401: commonErrors[401], 403: commonErrors[403] },
  },
  engageKillSwitch: {
    method: 'post',
    path: '/v1/guardrails/kill-switch',
    summary: 'Global kill switch: nothing automated starts; running mitigations are interrupted',
    tag: 'guardrails',
    access: ['admin', 'responder'],
    body: bodies.killSwitch,
    responses: { 200: 'the controls', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  releaseKillSwitch: {
    method: 'delete',
    path: '/v1/guardrails/kill-switch',
    summary: 'Release the kill switch: responses continue',
    tag: 'guardrails',
    access: ['admin', 'responder'],
    body: bodies.release,
    responses: {
      200: 'the controls',
      400: commonErrors[400],
      401: commonErrors[401],
      403: commonErrors[403],
      409: 'not engaged',
    },
  },
  listPauses: {
    method: 'get',
    path: '/v1/guardrails/pauses',
    summary: 'Scoped pauses',
    tag: 'guardrails',
    access: reader,
    responses: { 200: 'the pauses', 401: commonErrors[401], 403: commonErrors[403] },
  },
  addPause: {
    method: 'post',
    path: '/v1/guardrails/pauses',
    summary: 'Pause automation for a selector, optionally until a time',
    tag: 'guardrails',
    access: ['admin'],
    body: bodies.pause,
    responses: { 201: 'the controls', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  removePause: {
    method: 'delete',
    path: '/v1/guardrails/pauses/:controlId',
    summary: 'Lift a pause',
    tag: 'guardrails',
    access: ['admin'],
    params: { controlId: 'pause ID' },
    body: bodies.remove,
    responses: {
      200: 'the controls',
      400: commonErrors[400],
      401: commonErrors[401],
      403: commonErrors[403],
      404: 'no such pause',
    },
  },
  listRules: {
    method: 'get',
    path: '/v1/guardrails/rules',
    summary: 'Exclusion rules (standing and runtime)',
    tag: 'guardrails',
    access: reader,
    responses: { 200: 'the rules', 401: commonErrors[401], 403: commonErrors[403] },
  },
  addRule: {
    method: 'post',
    path: '/v1/guardrails/rules',
    summary: 'Add a runtime exclusion rule',
    tag: 'guardrails',
    access: ['admin'],
    body: bodies.rule,
    responses: { 201: 'the controls', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  removeRule: {
    method: 'delete',
    path: '/v1/guardrails/rules/:controlId',
    summary: 'Remove a runtime exclusion rule',
    tag: 'guardrails',
    access: ['admin'],
    params: { controlId: 'rule ID' },
    body: bodies.remove,
    responses: {
      200: 'the controls',
      400: commonErrors[400],
      401: commonErrors[401],
      403: commonErrors[403],
      404: 'no such rule',
    },
  },
  listFreezes: {
    method: 'get',
    path: '/v1/guardrails/freezes',
    summary: 'Change-freeze windows',
    tag: 'guardrails',
    access: reader,
    responses: { 200: 'the freezes', 401: commonErrors[401], 403: commonErrors[403] },
  },
  addFreeze: {
    method: 'post',
    path: '/v1/guardrails/freezes',
    summary: 'Declare a change-freeze window',
    tag: 'guardrails',
    access: ['admin'],
    body: bodies.freeze,
    responses: { 201: 'the controls', 400: commonErrors[400], 401: commonErrors[401], 403: commonErrors[403] },
  },
  removeFreeze: {
    method: 'delete',
    path: '/v1/guardrails/freezes/:controlId',
    summary: 'End a change freeze early',
    tag: 'guardrails',
    access: ['admin'],
    params: { controlId: 'freeze ID' },
    body: bodies.remove,
    responses: {
      200: 'the controls',
      400: commonErrors[400],
      401: commonErrors[401],
      403: commonErrors[403],
      404: 'no such freeze',
    },
  },
  openapi: {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'OpenAPI 3.1' },
  },
  healthz: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'alive' },
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal and OpenSearch reachable',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'ready', 503: 'a dependency is unreachable' },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'text exposition format' },
  },
} satisfies Record<string, RouteContract>;
export type RouteName = keyof typeof ROUTES;

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Input side: what a caller sends (before defaults and transforms).
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The OpenAPI 3.1 document, built from ROUTES. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as Array<[string, RouteContract]>) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = Object.entries(route.params ?? {}).map(([p, description]) => ({
      name: p,
      in: 'path',
      required: true,
      description,
      schema: { type: 'string' },
    }));
    if (route.query) {
      const q = jsonSchema(route.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [p, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name: p, in: 'query', required: q.required?.includes(p) ?? false, schema });
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: name,
      summary: route.summary,
      tags: [route.tag],
      ...(route.access === 'public'
        ? { security: [] }
        : {
            description: `Allowed: ${route.access === 'alert-source' ? 'alert sources (bearer token or signed body)' : route.access.join(', ')}.`,
          }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, description]) => [
          status,
          Number(status) >= 400
            ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
            : { description },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Interlock',
      version,
      description: 'Automated incident response that humans can stop, steer and approve.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A static API token or an OIDC JWT' } },
      schemas: { Error: errorBody },
    },
    paths,
  };
}
