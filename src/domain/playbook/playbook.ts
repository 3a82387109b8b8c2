import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * The playbook format. Playbooks are YAML files validated against this schema when the worker
 * loads them; a response copies the playbook it matched into its own history, so editing a file
 * never changes a response that is already running.
 */
export const STEP_KINDS = ['diagnostic', 'mitigation', 'verification', 'notification'] as const;

const httpRequestParams = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
    timeout: durationSchema.default(30_000),
  })
  .strict();
export type HttpRequestParams = z.infer<typeof httpRequestParams>;

const approvalSpec = z
  .object({
    /** The group an approver must belong to, e.g. "tier1", "sme:postgres", "lead". */
    tier: z.string().min(1),
    /** Distinct people needed. */
    approvers: z.number().int().min(1).max(10).default(1),
    /** Unanswered for this long, the request expires and the step does not run (fail closed). */
    timeout: durationSchema.default(15 * 60_000),
  })
  .strict();
export type ApprovalSpec = z.infer<typeof approvalSpec>;

const stepBase = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1).optional(),
  /** What a human approver is told this step will do to production. */
  impact: z.string().optional(),
  timeout: durationSchema.optional(),
};

export const stepSchema = z.discriminatedUnion('action', [
  z.object({ ...stepBase, kind: z.enum(STEP_KINDS), action: z.literal('http.request'), params: httpRequestParams, approval: approvalSpec.optional() }).strict(),
]);
export type PlaybookStep = z.infer<typeof stepSchema>;

export const playbookSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    version: z.number().int().min(1),
    description: z.string().optional(),
    /** Alert labels that must all be equal for this playbook to apply. */
    match: z.object({ labels: z.record(z.string(), z.string()).default({}) }).strict(),
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .superRefine((playbook, ctx) => {
    const seen = new Set<string>();
    playbook.steps.forEach((step, i) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
      if (step.approval && step.kind !== 'mitigation') {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'approval'], message: 'only mitigation steps take an approval' });
      }
    });
  });
export type Playbook = z.infer<typeof playbookSchema>;

/**
 * The most specific playbook wins (the one matching the most labels), so a catch-all playbook
 * with no labels can sit beside targeted ones. Ties break on id for a stable choice.
 */
export function selectPlaybook(playbooks: readonly Playbook[], labels: Record<string, string>): Playbook | undefined {
  return playbooks
    .filter((p) => Object.entries(p.match.labels).every(([k, v]) => labels[k] === v))
    .sort((a, b) => Object.keys(b.match.labels).length - Object.keys(a.match.labels).length || a.id.localeCompare(b.id))[0];
}
