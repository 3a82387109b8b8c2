import type { PolicyDecision } from '../policy/policy.js';
import type { OptOutScope } from './inputs.js';
import type { ApprovalRequest, OptOutRecord, OverrideRecord } from './status.js';

export interface MitigationCandidate {
  stepId: string;
  action: string;
  /** The input values the mitigation would run with. */
  inputs: Record<string, unknown>;
}

export function optOutCovers(scope: OptOutScope, step: { stepId: string; action: string }): boolean {
  switch (scope.kind) {
    case 'response':
      return true;
    case 'step':
      return scope.stepId === step.stepId;
    case 'action':
      return scope.action === step.action;
  }
}

/** Same values, whatever the key order (the approval is about values, not their spelling). */
export function sameInputs(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/**
 * THE SAFETY RULE. A mitigation may start only if, at this moment: no active opt-out or skip
 * override covers it; the policy does not say manual-only; and when consent is needed, it is
 * present: an approval granted by enough distinct people (authorized when they decided), not
 * rejected, still valid, and for exactly these input values; or an objection window that ran
 * out with no objection. Returns why it must not start, or undefined when it may.
 *
 * The workflow calls this in the same activation that schedules the activity, so nothing can
 * arrive between the check and the start. Pure, so it is unit- and property-tested directly.
 */
export function mitigationBlocker(args: {
  candidate: MitigationCandidate;
  decision: PolicyDecision;
  approval: ApprovalRequest | undefined;
  optOuts: readonly OptOutRecord[];
  overrides: readonly OverrideRecord[];
  /** Controls from outside the response (kill switch, pauses, freezes); reasons if any block. */
  external?: readonly string[];
  nowMs: number;
}): string | undefined {
  const { candidate, decision, approval, nowMs } = args;
  const optOut = args.optOuts.find((o) => o.active && optOutCovers(o.scope, candidate));
  if (optOut) return `opted out by ${optOut.actor.name}: ${optOut.reason}`;
  if (args.overrides.some((o) => o.type === 'skip-step' && o.stepId === candidate.stepId))
    return 'skipped by a per-incident override';
  if (args.external?.length) return args.external.join('; ');
  switch (decision.mode) {
    case 'auto':
      return undefined;
    case 'manual-only':
      return 'policy: manual only, never automated';
    case 'auto-after-objection-window':
      if (!approval || approval.kind !== 'objection' || approval.stepId !== candidate.stepId)
        return 'no objection window was held';
      if (approval.state !== 'approved') return `objection window ${approval.state}`;
      if (approval.decisions.some((d) => d.decision === 'reject')) return 'someone objected';
      return undefined;
    case 'approval': {
      if (!approval || approval.kind !== 'approval' || approval.stepId !== candidate.stepId) return 'no approval';
      if (approval.state !== 'approved') return `approval ${approval.state}`;
      if (approval.decisions.some((d) => d.decision === 'reject')) return 'approval was rejected';
      const approvers = new Set(approval.decisions.filter((d) => d.decision === 'approve').map((d) => d.actor.id));
      if (approvers.has(approval.requestedBy.id)) approvers.delete(approval.requestedBy.id);
      if (approvers.size < Math.max(decision.approvers, approval.approversRequired))
        return `approval needs ${decision.approvers} distinct approvers, has ${approvers.size}`;
      if (!approval.validUntil || nowMs >= Date.parse(approval.validUntil))
        return 'approval-void: the approval was not acted on in time';
      if (!sameInputs(approval.inputs, candidate.inputs)) return 'approval-void: the inputs changed after approval';
      return undefined;
    }
  }
}
