import { z } from 'zod';
import { durationSchema } from '../playbook/duration.js';

/**
 * What happens to a mitigation at the moment it is about to run. Ordered from least to most
 * restrictive; combining two decisions keeps the more restrictive one.
 */
export const policyDecisionSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('auto') }).strict(),
  z
    .object({
      mode: z.literal('auto-after-objection-window'),
      /** "Will run in N unless someone objects": any responder may object (a reject decision). */
      window: durationSchema,
    })
    .strict(),
  z
    .object({
      mode: z.literal('approval'),
      /** The group an approver must belong to, e.g. "tier1", "sme:postgres", "lead". */
      tier: z.string().min(1),
      /** Distinct people needed. */
      approvers: z.number().int().min(1).max(10).default(1),
      /** How long each tier is asked before escalating (or, at the end of the chain, failing closed). */
      timeout: durationSchema.default(15 * 60_000),
      /** Tiers asked next, in order, when the current one does not answer in time. */
      escalation: z.array(z.string().min(1)).default([]),
      /** Remind the current tier this long after asking (once per tier). */
      remindAfter: durationSchema.optional(),
      /** A granted approval not acted on within this is void and must be asked again. */
      validFor: durationSchema.default(10 * 60_000),
      /** Unanswered after the whole chain: the step does not run. The only choice is to fail closed. */
      onTimeout: z.literal('reject').default('reject'),
    })
    .strict(),
  z.object({ mode: z.literal('manual-only') }).strict(),
]);
export type PolicyDecision = z.infer<typeof policyDecisionSchema>;
export type ApprovalPolicy = Extract<PolicyDecision, { mode: 'approval' }>;

const RESTRICTIVENESS: Record<PolicyDecision['mode'], number> = {
  auto: 0,
  'auto-after-objection-window': 1,
  approval: 2,
  'manual-only': 3,
};

const listOf = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
export const policyRuleSchema = z
  .object({
    name: z.string().min(1),
    /** Every condition given must hold; a list means any of its values. */
    match: z
      .object({
        risk: listOf.optional(),
        service: listOf.optional(),
        environment: listOf.optional(),
        severity: listOf.optional(),
        action: listOf.optional(),
        labels: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .default({}),
    decision: policyDecisionSchema,
  })
  .strict();

export const policySchema = z
  .object({
    rules: z.array(policyRuleSchema).default([]),
    /** When no rule matches. Fail closed: ask for approval unless configured otherwise. */
    default: policyDecisionSchema.default({
      mode: 'approval',
      tier: 'tier1',
      approvers: 1,
      timeout: 15 * 60_000,
      escalation: [],
      validFor: 10 * 60_000,
      onTimeout: 'reject',
    }),
  })
  .strict();
export type Policy = z.infer<typeof policySchema>;

export interface PolicyFacts {
  risk: string;
  action: string;
  service: string;
  environment: string;
  severity: string;
  labels: Record<string, string>;
}

export interface PolicyOutcome {
  decision: PolicyDecision;
  /** Where it came from, for the audit trail and the approver. */
  source: string;
}

/**
 * The policy's decision for one mitigation, from up to four sources: a per-incident "require
 * approval" override, the first matching policy rule, the playbook step's own floor, and the
 * policy default (used only when no rule matches). The most restrictive mode wins. When several
 * sources ask for approval they are merged so that none is weakened: the most approvers, the
 * shortest deadlines, and the tier of the most specific source (override, rule, step, default).
 * Pure, so the workflow evaluates it right before scheduling, on the facts as they are then.
 * `requireApproval` is an approval demanded for this incident from outside the policy (a
 * responder's override, or a guardrail: a freeze, an approval rule); `requiredBy` names which,
 * so approvers see why they are asked.
 */
export function decidePolicy(
  policy: Policy,
  facts: PolicyFacts,
  stepFloor?: PolicyDecision,
  requireApproval?: PolicyDecision,
  requiredBy = 'per-incident override',
): PolicyOutcome {
  const rule = policy.rules.find((r) => ruleMatches(r.match, facts));
  // Most specific first: that order decides the tier when several ask for approval.
  const candidates: PolicyOutcome[] = [
    ...(requireApproval ? [{ decision: requireApproval, source: requiredBy }] : []),
    rule ? { decision: rule.decision, source: `policy rule "${rule.name}"` } : undefined,
    ...(stepFloor ? [{ decision: stepFloor, source: 'playbook step' }] : []),
    rule ? undefined : { decision: policy.default, source: 'policy default' },
  ].filter((c): c is PolicyOutcome => c !== undefined);
  const strictest = Math.max(...candidates.map((c) => RESTRICTIVENESS[c.decision.mode]));
  const winners = candidates.filter((c) => RESTRICTIVENESS[c.decision.mode] === strictest);
  const first = winners[0]!;
  if (first.decision.mode === 'approval') {
    const approvals = winners.map((w) => w.decision as ApprovalPolicy);
    return {
      source: first.source,
      decision: {
        ...first.decision,
        approvers: Math.max(...approvals.map((a) => a.approvers)),
        timeout: Math.min(...approvals.map((a) => a.timeout)),
        validFor: Math.min(...approvals.map((a) => a.validFor)),
      },
    };
  }
  if (first.decision.mode === 'auto-after-objection-window') {
    const windows = winners.map(
      (w) => (w.decision as Extract<PolicyDecision, { mode: 'auto-after-objection-window' }>).window,
    );
    return { source: first.source, decision: { mode: 'auto-after-objection-window', window: Math.max(...windows) } };
  }
  return first;
}

function ruleMatches(match: z.infer<typeof policyRuleSchema>['match'], facts: PolicyFacts): boolean {
  const anyOf = (values: string[] | undefined, actual: string) => !values || values.includes(actual);
  return (
    anyOf(match.risk, facts.risk) &&
    anyOf(match.service, facts.service) &&
    anyOf(match.environment, facts.environment) &&
    anyOf(match.severity, facts.severity) &&
    anyOf(match.action, facts.action) &&
    Object.entries(match.labels ?? {}).every(([k, v]) => facts.labels[k] === v)
  );
}
