import { z } from 'zod';
import { RESPONSE_PHASES } from '../../contracts/phases.js';
import { CHANNELS, type Role } from '../../domain/actor/actor.js';
import { AUDIT_EVENT_TYPES } from '../../domain/audit/event.js';
import { INCIDENT_ID_PATTERN } from '../../domain/incident/incident-id.js';
import {
  freezeInOrder,
  freezeInputBase,
  killSwitchInputSchema,
  pauseInputSchema,
  releaseInputSchema,
  removeInputSchema,
  ruleInputBase,
  ruleNeedsTier,
} from '../../domain/guardrails/controls.js';
import {
  decisionSchema,
  noteSchema,
  optInSchema,
  optOutSchema,
  overrideSchema,
  resolveSchema,
  settleSchema,
  stopRequestSchema,
} from '../../domain/response/inputs.js';

/**
 * Every HTTP route: its method, path, who may call it and the schemas that validate it. The
 * routers validate with these schemas and /v1/openapi.json is generated from them, so the
 * document and the behaviour cannot drift apart.
 */
export interface RouteContract {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  tag: 'alerts' | 'incidents' | 'audit' | 'guardrails' | 'operations' | 'integrations' | 'auth';
  /**
   * Roles that may call it; 'public' needs no authentication; 'alert-source' also accepts signed
   * bodies; 'integration' takes no bearer token because the sender proves each request its own way
   * (Slack's signature, a single-use email token) and the handler finds the person from that proof;
   * 'sign-in' is browser sign-in itself: no bearer token, the handler checks the browser's sealed
   * sign-in cookies (and CSRF token) and the identity provider authenticates the person.
   */
  access: Role[] | 'public' | 'alert-source' | 'integration' | 'sign-in';
  /** Takes an `Idempotency-Key` header: a repeat with the same key and body gets the first outcome. */
  idempotent?: true;
  /** A POST that changes nothing (its input is too large for a query string): readers may call it. */
  readOnly?: true;
  params?: Record<string, string>;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Partial<
    Record<200 | 201 | 202 | 302 | 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 503 | 504, string>
  >;
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
  settle: settleSchema.omit({ actor: true, stepId: true }).strict(),
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
  // The analytics facets, so a recommendation's evidence is one search away.
  playbook: z.string().min(1).max(200).optional(),
  step: z.string().min(1).max(200).optional(),
  team: z.string().min(1).max(200).optional(),
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
  /** The status view's timeline page (the workflow holds the newest events; older: the timeline route). */
  status: z
    .object({
      timelineLimit: z.coerce.number().int().min(1).max(500, 'at most 500 events per page').optional(),
      timelineBefore: z.coerce.number().int().min(1).optional(),
    })
    .strict(),
  /** The incident review's form: JSON (default), Markdown for a postmortem, or a PDF. */
  review: z.object({ format: z.enum(['json', 'md', 'pdf']).default('json') }).strict(),
  /** A page of the stored trail, newest last; without `limit` or `before`, every event (as before). */
  timeline: z
    .object({
      limit: z.coerce.number().int().min(1).max(1000, 'at most 1000 events per page').optional(),
      before: z.string().min(1).max(1000).optional(),
    })
    .strict(),
};

export const id = { id: 'incident ID, e.g. am-<24 hex digits>' };
export const responder: Role[] = ['responder', 'approver', 'admin'];
export const reader: Role[] = ['responder', 'approver', 'auditor', 'admin'];
export const commonErrors = {
  400: 'malformed JSON or a wrong shape',
  401: 'not authenticated',
  403: 'not allowed',
  404: 'no such incident',
  409: 'the response has ended',
  429: 'rate limited',
} as const;
export const intake = (summary: string, body: z.ZodType): RouteContract => ({
  method: 'post',
  path: '',
  summary,
  tag: 'alerts',
  access: 'alert-source',
  query: queries.intake,
  body,
  responses: {
    200: 'the incident\'s response had ended: recorded on it ({outcome: "recorded", recorded: true, started: false, reason}), nothing started (re-fire policy, or a resolved notification)',
    202: 'accepted ({outcome}): "delivered" (the running response has it, or it opened the first one), "reopened" (the response had ended and the re-fire policy opened a new one; with reason), "dry-run" (a dry run of its own, incidentId dryrun-…); Location: the incident',
    400: 'malformed JSON or a wrong shape',
    401: 'not authenticated',
    403: 'not an alert source',
    413: 'body too large',
    429: 'rate limited',
  },
});
