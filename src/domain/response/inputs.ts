import { z } from 'zod';
import { actorSchema } from '../actor/actor.js';

/**
 * Human inputs to a response. The same schemas validate HTTP bodies in the gateway and signal
 * payloads inside the workflow (the Temporal UI and CLI bypass the gateway).
 */
export const reasonSchema = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000);
const inputValues = z.record(
  z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
  z.union([z.string().max(1000), z.number(), z.boolean()]),
);

export const decisionSchema = z.object({
  approvalId: z.string().min(1).max(200),
  decision: z.enum(['approve', 'reject']),
  reason: reasonSchema,
  /** Adjusted step inputs (within the playbook's bounds); earlier approvals of other values lapse. */
  inputs: inputValues.optional(),
  actor: actorSchema,
});
export type DecisionInput = z.infer<typeof decisionSchema>;

export const optOutScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('response') }).strict(),
  z.object({ kind: z.literal('step'), stepId: z.string().min(1).max(200) }).strict(),
  z.object({ kind: z.literal('action'), action: z.string().min(1).max(200) }).strict(),
]);
export type OptOutScope = z.infer<typeof optOutScopeSchema>;

export const OPT_OUT_MODES = ['halt-now', 'finish-current-step', 'hand-over'] as const;
export type OptOutMode = (typeof OPT_OUT_MODES)[number];

export const optOutSchema = z.object({
  reason: reasonSchema,
  scope: optOutScopeSchema.default({ kind: 'response' }),
  /** halt-now interrupts what is running; finish-current-step lets it end; hand-over gives the response to a person. */
  mode: z.enum(OPT_OUT_MODES).default('halt-now'),
  actor: actorSchema,
});
export type OptOutInput = z.infer<typeof optOutSchema>;

export const optInSchema = z.object({
  reason: reasonSchema,
  /** Which opt-out to release; all active ones when omitted. */
  optOutId: z.string().min(1).max(200).optional(),
  actor: actorSchema,
});
export type OptInInput = z.infer<typeof optInSchema>;

export const overrideSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('skip-step'),
      stepId: z.string().min(1).max(200),
      reason: reasonSchema,
      actor: actorSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('require-approval'),
      stepId: z.string().min(1).max(200),
      tier: z.string().min(1).max(100).default('tier1'),
      reason: reasonSchema,
      actor: actorSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('set-inputs'),
      stepId: z.string().min(1).max(200),
      inputs: inputValues,
      reason: reasonSchema,
      actor: actorSchema,
    })
    .strict(),
]);
export type OverrideInput = z.infer<typeof overrideSchema>;

/** What to do about a mitigation whose effect is unknown (its worker was lost). */
export const settleSchema = z.object({
  /** The step; the only one waiting when omitted. */
  stepId: z.string().min(1).max(200).optional(),
  choice: z.enum(['retry', 'mark-done', 'hand-over']),
  reason: reasonSchema,
  actor: actorSchema,
});
export type SettleInput = z.infer<typeof settleSchema>;

export const noteSchema = z.object({ text: z.string().trim().min(1).max(10_000), actor: actorSchema });
export type NoteInput = z.infer<typeof noteSchema>;

export const resolveSchema = z.object({ summary: reasonSchema, actor: actorSchema });
export type ResolveInput = z.infer<typeof resolveSchema>;

/** Sent just before a cancel so the emergency stop is attributed to a person. */
export const stopRequestSchema = z.object({ reason: reasonSchema, actor: actorSchema });
export type StopRequestInput = z.infer<typeof stopRequestSchema>;

/** Zod's issues as one readable line, for 4xx bodies and rejected-input audit events. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
