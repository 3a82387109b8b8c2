import { z } from 'zod';
import { actorSchema } from '../actor/actor.js';

/**
 * Human inputs to a response. The same schemas validate HTTP bodies in the gateway and signal
 * payloads inside the workflow (the Temporal UI and CLI bypass the gateway).
 */
const reason = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000);

export const decisionSchema = z.object({
  approvalId: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  reason,
  actor: actorSchema,
});
export type DecisionInput = z.infer<typeof decisionSchema>;

export const optOutSchema = z.object({
  reason,
  actor: actorSchema,
});
export type OptOutInput = z.infer<typeof optOutSchema>;

/** Sent just before a cancel so the emergency stop is attributed to a person. */
export const stopRequestSchema = z.object({
  reason,
  actor: actorSchema,
});
export type StopRequestInput = z.infer<typeof stopRequestSchema>;

/** Zod's issues as one readable line, for 4xx bodies and rejected-input audit events. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
