import { z } from 'zod';
import { CHANNELS } from '../actor/actor.js';
import { selectorSchema, standingRuleSchema } from './controls.js';

/**
 * The shapes of what the guardrails exchange by signal. Signals can be sent by anyone with access
 * to Temporal (the UI, the CLI), so a handler checks them before touching them: one malformed
 * payload must be a recorded refusal, never a failed workflow task that leaves the workflow stuck.
 */
const who = z.object({ id: z.string(), name: z.string(), channel: z.enum(CHANNELS) });
const text = z.string().max(2000);

/** The standing rules of config/guardrails.yaml, as the worker sends them when it starts. */
export const standingRulesSchema = z.array(standingRuleSchema).max(1000);

export const refusedChangeSchema = z.object({ actor: who, attempted: text });

/** The controls as the control workflow broadcasts them to running responses. */
export const controlsSchema = z.object({
  version: z.number().int().nonnegative(),
  killSwitch: z.object({
    engaged: z.boolean(),
    allowDiagnostics: z.boolean(),
    actor: who.optional(),
    reason: text.optional(),
    at: z.string().optional(),
  }),
  pauses: z.array(
    z.object({
      id: z.string(),
      selector: selectorSchema,
      reason: text,
      actor: who,
      at: z.string(),
      expiresAt: z.string().optional(),
    }),
  ),
  rules: z.array(
    z.object({
      id: z.string(),
      selector: selectorSchema,
      effect: z.enum(['block', 'manual-only', 'approval']),
      tier: z.string().optional(),
      reason: text,
      source: z.enum(['file', 'runtime']),
      actor: who.optional(),
      at: z.string().optional(),
    }),
  ),
  freezes: z.array(
    z.object({
      id: z.string(),
      selector: selectorSchema.optional(),
      start: z.string(),
      end: z.string(),
      mode: z.enum(['require-approval', 'block']),
      tier: z.string(),
      reason: text,
      actor: who,
      at: z.string(),
    }),
  ),
});
