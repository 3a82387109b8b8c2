import { z } from 'zod';
export {
  ACTION_KINDS,
  actionSchema,
  type ActionName,
  type ActionSpec,
  type HttpRequestParams,
  type ShellCommandParams,
} from './actions.js';
import { actionSchema, actionUnion, type ActionSpec } from './actions.js';
import { policyDecisionSchema } from '../policy/policy.js';
import { shellStepIssues } from './shell-safety.js';
import { defuseSecretReferences, malformedSecretReferences, mentionsSecrets } from '../secrets/references.js';

/**
 * The playbook format. Playbooks are YAML files validated against this schema when the worker
 * loads them; a response copies the playbook it matched into its own history, so editing a file
 * never changes a response that is already running.
 */
export const STEP_KINDS = ['diagnostic', 'mitigation', 'verification', 'notification'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

/** A parameter a human may adjust at approval (or by override), within these bounds. */
export const inputSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('integer'),
      default: z.number().int(),
      min: z.number().int().optional(),
      max: z.number().int().optional(),
      description: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('number'),
      default: z.number(),
      min: z.number().optional(),
      max: z.number().optional(),
      description: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('string'),
      default: z.string(),
      enum: z.array(z.string()).min(1).optional(),
      pattern: z.string().optional(),
      description: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('boolean'), default: z.boolean(), description: z.string().optional() }).strict(),
]);
export type InputSpec = z.infer<typeof inputSpecSchema>;

const stepFields = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1).optional(),
  kind: z.enum(STEP_KINDS),
  /** What a human approver is told this step will do to production. */
  impact: z.string().optional(),
  risk: z.enum(RISKS).default('medium'),
  inputs: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/), inputSpecSchema).default({}),
  /** The playbook author's floor; the policy file may only make it stricter. */
  policy: policyDecisionSchema.optional(),
  /** Undo for a succeeded mitigation, run newest-first on an emergency stop. */
  compensation: (actionSchema as unknown as z.ZodType<ActionSpec>).optional(),
  /**
   * A dry run touches nothing in production: a diagnostic, verification or notification step
   * runs in one only when its author marks it safe to (a read of a metrics API, say). Unset: it
   * is recorded as simulated. Mitigations never run in a dry run.
   */
  safeInDryRun: z.boolean().optional(),
};
/** A step: the fields every step has, and one action (its kind from the action table, with its parameters). */
const stepSchemaBase = actionUnion(stepFields) as unknown as z.ZodType<
  PlaybookStep,
  z.input<ReturnType<typeof actionUnion<typeof stepFields>>>
>;
export type PlaybookStep = Omit<z.infer<z.ZodObject<typeof stepFields>>, 'compensation'> & {
  compensation?: ActionSpec;
} & ActionSpec;

export const playbookSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    version: z.number().int().min(1),
    description: z.string().optional(),
    /** The person accountable for this automation; they may not approve its requests. */
    owner: z.string().min(1).optional(),
    /** The team that owns this automation: only its people (or every-team people) let it proceed. */
    team: z.string().min(1).max(100).optional(),
    /** When every alert of the incident has resolved: only record it, or close the response. */
    onResolved: z.enum(['record', 'close']).default('record'),
    /** Alert labels that must all be equal for this playbook to apply. */
    match: z.object({ labels: z.record(z.string(), z.string()).default({}) }).strict(),
    steps: z.array(stepSchemaBase).min(1),
  })
  .strict()
  .superRefine((playbook, ctx) => {
    const seen = new Set<string>();
    playbook.steps.forEach((step, i) => {
      if (seen.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
      if (step.policy && step.kind !== 'mitigation') {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'policy'], message: 'only mitigation steps take a policy' });
      }
      if (step.safeInDryRun && step.kind === 'mitigation')
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'safeInDryRun'],
          message:
            'a mitigation never runs in a dry run: only diagnostic, verification and notification steps may be marked safe',
        });
      for (const [name, spec] of Object.entries(step.inputs)) {
        const problem = checkInputValue(spec, spec.default);
        if (problem) ctx.addIssue({ code: 'custom', path: ['steps', i, 'inputs', name, 'default'], message: problem });
      }
      checkSecretReferences(step, i, ctx);
      for (const ref of placeholders(step.params)) {
        if (ref.scope === 'inputs' && !(ref.name in step.inputs)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'params'],
            message: `{{inputs.${ref.name}}} is not a declared input`,
          });
        }
      }
      // Placeholders may be arguments or env of a shell step, never text a shell evaluates.
      for (const issue of shellStepIssues(step))
        ctx.addIssue({ code: 'custom', path: ['steps', i, ...issue.path], message: issue.message });
    });
  });
export type Playbook = z.infer<typeof playbookSchema>;

/**
 * `{{secrets.NAME}}` belongs in action parameters (the step's and its compensation's), where the
 * activity resolves it; anywhere else (a title, an impact, an input's default) it would be shown
 * or substituted as text, so it is refused, as is a reference that is not exactly that form.
 */
function checkSecretReferences(step: PlaybookStep, i: number, ctx: z.RefinementCtx): void {
  const where: Array<[Array<string | number>, unknown]> = [
    [['steps', i, 'params'], step.params],
    [['steps', i, 'compensation', 'params'], step.compensation?.params],
  ];
  for (const [path, params] of where)
    for (const bad of malformedSecretReferences(params))
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${bad} is not a secret reference: write {{secrets.NAME}}, NAME of letters, digits and _ starting with a letter`,
      });
  const { params: _p, compensation: _c, ...rest } = step;
  for (const [field, value] of Object.entries(rest))
    if (mentionsSecrets(value))
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, field],
        message: 'secret references ({{secrets.NAME}}) are only allowed in action parameters',
      });
}

/**
 * The most specific playbook wins (the one matching the most labels), so a catch-all playbook
 * with no labels can sit beside targeted ones. Ties break on id for a stable choice.
 */
export function selectPlaybook(playbooks: readonly Playbook[], labels: Record<string, string>): Playbook | undefined {
  return playbooks
    .filter((p) => Object.entries(p.match.labels).every(([k, v]) => labels[k] === v))
    .sort(
      (a, b) => Object.keys(b.match.labels).length - Object.keys(a.match.labels).length || a.id.localeCompare(b.id),
    )[0];
}

/** Undefined when the value fits the input's type and bounds; otherwise what is wrong. */
export function checkInputValue(spec: InputSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a ${spec.type}`;
      if (spec.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (spec.enum && !spec.enum.includes(value)) return `must be one of ${spec.enum.join(', ')}`;
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(value)) return `must match ${spec.pattern}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
  }
}

/**
 * Check proposed input values against a step's declared inputs: every name must be declared and
 * every value within bounds. Returns the problems, one per input, for a 4xx message.
 */
export function checkInputs(inputs: Record<string, InputSpec>, proposed: Record<string, unknown>): string[] {
  return Object.entries(proposed).flatMap(([name, value]) => {
    const spec = inputs[name];
    if (!spec)
      return [
        `${name}: not an adjustable input of this step (adjustable: ${Object.keys(inputs).join(', ') || 'none'})`,
      ];
    const problem = checkInputValue(spec, value);
    return problem ? [`${name}: ${problem}`] : [];
  });
}

const PLACEHOLDER = /\{\{\s*(inputs|labels)\.([a-zA-Z0-9_]+)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*(inputs|labels)\.([a-zA-Z0-9_]+)\s*\}\}$/;

function placeholders(value: unknown): Array<{ scope: string; name: string }> {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => ({ scope: m[1]!, name: m[2]! }));
  if (Array.isArray(value)) return value.flatMap(placeholders);
  if (value && typeof value === 'object') return Object.values(value).flatMap(placeholders);
  return [];
}

/**
 * Fill `{{inputs.x}}` and `{{labels.x}}` placeholders. Pure: runs inside the workflow.
 * `{{secrets.NAME}}` is left as written: only the activity resolves it, so the value never enters
 * history. A substituted value cannot bring in a secret reference of its own (see defuse).
 */
export function renderParams<T>(
  value: T,
  scope: { inputs: Record<string, unknown>; labels: Record<string, string> },
): T {
  const lookup = (kind: string, name: string): unknown => {
    const found = kind === 'inputs' ? scope.inputs[name] : scope.labels[name];
    return typeof found === 'string' ? defuseSecretReferences(found) : found;
  };
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = v.match(WHOLE_PLACEHOLDER);
      if (whole) return lookup(whole[1]!, whole[2]!) ?? '';
      return v.replace(PLACEHOLDER, (_m, kind: string, name: string) => String(lookup(kind, name) ?? ''));
    }
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    return v;
  };
  return render(value) as T;
}

export function defaultInputs(step: Pick<PlaybookStep, 'inputs'>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(step.inputs).map(([name, spec]) => [name, spec.default]));
}
