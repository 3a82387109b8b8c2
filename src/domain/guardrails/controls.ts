import { z } from 'zod';
import { actorSchema } from '../actor/actor.js';
import { reasonSchema } from '../response/inputs.js';

/**
 * Guardrails: one place to stop all automation, or only the part that misbehaves.
 * Pure: the control workflow stores these, and responses evaluate them right before they
 * schedule a mitigation (and whenever a change is broadcast to them).
 */
const value = z.string().min(1).max(200);
export const selectorSchema = z
  .object({
    service: value.optional(),
    environment: value.optional(),
    action: value.optional(),
    severity: value.optional(),
    playbook: value.optional(),
    labels: z.record(z.string().min(1).max(100), value).optional(),
  })
  .strict()
  .refine(
    (s) => Object.values(s).some((v) => v !== undefined && (typeof v === 'string' || Object.keys(v).length > 0)),
    'a selector needs at least one of service, environment, action, severity, playbook, labels',
  );
export type Selector = z.infer<typeof selectorSchema>;

export interface GuardrailFacts {
  service: string;
  environment: string;
  action: string;
  severity: string;
  playbook: string;
  labels: Record<string, string>;
  kind: string;
}

export function selectorMatches(selector: Selector, facts: GuardrailFacts): boolean {
  return (
    (!selector.service || selector.service === facts.service) &&
    (!selector.environment || selector.environment === facts.environment) &&
    (!selector.action || selector.action === facts.action) &&
    (!selector.severity || selector.severity === facts.severity) &&
    (!selector.playbook || selector.playbook === facts.playbook) &&
    Object.entries(selector.labels ?? {}).every(([k, v]) => facts.labels[k] === v)
  );
}

const when = z.iso.datetime({ offset: true, message: 'an ISO 8601 time with a zone' });

export const killSwitchInputSchema = z
  .object({ reason: reasonSchema, actor: actorSchema, allowDiagnostics: z.boolean().default(true) })
  .strict();
export const releaseInputSchema = z.object({ reason: reasonSchema, actor: actorSchema }).strict();
export const pauseInputSchema = z
  .object({ selector: selectorSchema, reason: reasonSchema, expiresAt: when.optional(), actor: actorSchema })
  .strict();
export const ruleInputBase = z
  .object({
    selector: selectorSchema,
    /** block: never automated; manual-only: people do it; approval: automated only with an approval from `tier`. */
    effect: z.enum(['block', 'manual-only', 'approval']),
    tier: z.string().min(1).max(100).optional(),
    reason: reasonSchema,
    actor: actorSchema,
  })
  .strict();
export const ruleNeedsTier = <T extends z.ZodType<{ effect: string; tier?: string }>>(schema: T) =>
  schema.refine((r) => r.effect !== 'approval' || !!r.tier, {
    message: 'an approval rule needs a tier',
    path: ['tier'],
  });
export const ruleInputSchema = ruleNeedsTier(ruleInputBase);
export const freezeInputBase = z
  .object({
    selector: selectorSchema.optional(),
    start: when,
    end: when,
    /** require-approval: what would run by itself needs the freeze's approvers; block: nothing runs. */
    mode: z.enum(['require-approval', 'block']).default('require-approval'),
    tier: z.string().min(1).max(100).default('lead'),
    reason: reasonSchema,
    actor: actorSchema,
  })
  .strict();
export const freezeInOrder = <T extends z.ZodType<{ start: string; end: string }>>(schema: T) =>
  schema.refine((f) => f.start < f.end, { message: 'start must be before end', path: ['start'] });
export const freezeInputSchema = freezeInOrder(freezeInputBase);
export const removeInputSchema = z
  .object({ id: z.string().min(1).max(100), reason: reasonSchema, actor: actorSchema })
  .strict();
export const removeControlSchema = removeInputSchema.extend({ kind: z.enum(['pause', 'rule', 'freeze']) }).strict();

type Who = { id: string; name: string; channel: string };
export interface Pause {
  id: string;
  selector: Selector;
  reason: string;
  actor: Who;
  at: string;
  expiresAt?: string;
}
export interface Rule {
  id: string;
  selector: Selector;
  effect: 'block' | 'manual-only' | 'approval';
  tier?: string;
  reason: string;
  source: 'file' | 'runtime';
  actor?: Who;
  at?: string;
}
export interface Freeze {
  id: string;
  selector?: Selector;
  start: string;
  end: string;
  mode: 'require-approval' | 'block';
  tier: string;
  reason: string;
  actor: Who;
  at: string;
}
export interface Controls {
  version: number;
  killSwitch: { engaged: boolean; allowDiagnostics: boolean; actor?: Who; reason?: string; at?: string };
  pauses: Pause[];
  rules: Rule[];
  freezes: Freeze[];
}

export const EMPTY_CONTROLS: Controls = {
  version: 0,
  killSwitch: { engaged: false, allowDiagnostics: true },
  pauses: [],
  rules: [],
  freezes: [],
};

export interface GuardrailVerdict {
  /** Why nothing may start now (empty: nothing blocks). */
  blockers: string[];
  /** When it may run, but only with an approval from this tier. */
  requireApproval?: { tier: string; source: string };
  manualOnly?: string;
}

/**
 * What the controls say about one step right now. Overlaps resolve to the most restrictive:
 * anything that blocks wins over manual-only, which wins over requiring approval.
 */
export function evaluateControls(controls: Controls, facts: GuardrailFacts, nowMs: number): GuardrailVerdict {
  const blockers: string[] = [];
  const isMitigation = facts.kind === 'mitigation';
  if (controls.killSwitch.engaged && (isMitigation || !controls.killSwitch.allowDiagnostics)) {
    blockers.push(
      `kill switch engaged by ${controls.killSwitch.actor?.name ?? 'someone'}: ${controls.killSwitch.reason ?? ''}`.trim(),
    );
  }
  if (!isMitigation) return { blockers };
  for (const p of controls.pauses) {
    if (p.expiresAt && Date.parse(p.expiresAt) <= nowMs) continue;
    if (selectorMatches(p.selector, facts))
      blockers.push(`paused by ${p.actor.name}: ${p.reason}${p.expiresAt ? ` (until ${p.expiresAt})` : ''}`);
  }
  const rules = controls.rules.filter((r) => selectorMatches(r.selector, facts));
  for (const r of rules.filter((x) => x.effect === 'block')) blockers.push(`exclusion rule ${r.id}: ${r.reason}`);
  const freezes = controls.freezes.filter(
    (f) =>
      Date.parse(f.start) <= nowMs && nowMs < Date.parse(f.end) && (!f.selector || selectorMatches(f.selector, facts)),
  );
  for (const f of freezes.filter((x) => x.mode === 'block'))
    blockers.push(`change freeze ${f.id} until ${f.end}: ${f.reason}`);
  const manual = rules.find((x) => x.effect === 'manual-only');
  const approvalRule = rules.find((x) => x.effect === 'approval');
  const approvalFreeze = freezes.find((x) => x.mode === 'require-approval');
  return {
    blockers,
    ...(manual ? { manualOnly: `exclusion rule ${manual.id}: ${manual.reason}` } : {}),
    ...(approvalFreeze
      ? { requireApproval: { tier: approvalFreeze.tier, source: `change freeze ${approvalFreeze.id}` } }
      : approvalRule
        ? { requireApproval: { tier: approvalRule.tier!, source: `exclusion rule ${approvalRule.id}` } }
        : {}),
  };
}

/**
 * What a mitigation that nothing blocks still lacks under these controls, carrying consent from
 * `consentTier` (the tier of its approval, if any): nothing (undefined), or why it may not start.
 * A manual-only rule or an approval demanded by a freeze or rule may have been added after the
 * step was decided; the response's last check and the activity's start check both ask this, so
 * they agree on it.
 */
export function missingGuardrailConsent(
  verdict: GuardrailVerdict,
  consentTier: string | undefined,
): string | undefined {
  if (verdict.manualOnly) return `${verdict.manualOnly} (manual only)`;
  if (verdict.requireApproval && verdict.requireApproval.tier !== consentTier)
    return `${verdict.requireApproval.source} requires approval from ${verdict.requireApproval.tier}`;
  return undefined;
}

/** Standing rules as code: config/guardrails.yaml. */
export const standingRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    selector: selectorSchema,
    effect: z.enum(['block', 'manual-only', 'approval']),
    tier: z.string().optional(),
    reason: z.string().min(3),
  })
  .strict()
  .refine((r) => r.effect !== 'approval' || r.tier, { message: 'an approval rule needs a tier', path: ['tier'] });
export const guardrailsFileSchema = z.object({ rules: z.array(standingRuleSchema).default([]) }).strict();
