import { SYSTEM_ACTOR } from '../actor/actor.js';
import type { Playbook, PlaybookStep } from '../playbook/playbook.js';
import type { PolicyDecision } from '../policy/policy.js';
import type { ApprovalRequest, ResponseStatus, StepStatus } from '../response/status.js';

/** A policy outcome that needs people: an approval, or an objection window. */
export type ConsentDecision = Exclude<PolicyDecision, { mode: 'auto' | 'manual-only' }>;

/** Who is asked at each escalation level, and how long each level lasts. */
export function consentLevels(decision: ConsentDecision): { levels: string[]; perLevelMs: number } {
  return decision.mode === 'auto-after-objection-window'
    ? { levels: ['responders'], perLevelMs: decision.window }
    : { levels: [decision.tier, ...decision.escalation], perLevelMs: decision.timeout };
}

/**
 * A new approval request (or objection window) for a step, carrying everything an approver needs
 * to decide without opening another tool: the alerts, what would run with which values, its
 * impact and risk, why approval is needed, what the diagnostics found, and what happens if
 * nobody answers. Pure: the response records it and waits.
 */
export function newApprovalRequest(args: {
  incidentId: string;
  status: ResponseStatus;
  playbook: Playbook | undefined;
  step: PlaybookStep;
  view: StepStatus;
  decision: ConsentDecision;
  source: string;
  dryRun: boolean;
  nowMs: number;
}): ApprovalRequest {
  const { status, step, view, decision, nowMs } = args;
  const objection = decision.mode === 'auto-after-objection-window';
  const { levels, perLevelMs } = consentLevels(decision);
  const expiresAt = new Date(nowMs + perLevelMs).toISOString();
  return {
    id: `${step.id}-${status.approvals.filter((a) => a.stepId === step.id).length + 1}`,
    stepId: step.id,
    kind: objection ? 'objection' : 'approval',
    state: 'pending',
    tier: levels[0]!,
    tiers: [levels[0]!],
    escalationLevel: 0,
    approversRequired: objection ? 0 : decision.approvers,
    requestedAt: new Date(nowMs).toISOString(),
    expiresAt,
    // The automation asks on behalf of its owner, who therefore may not approve it.
    requestedBy: args.playbook?.owner
      ? { id: args.playbook.owner, name: args.playbook.owner }
      : { id: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name },
    inputs: { ...view.inputs },
    decisions: [],
    context: {
      incidentId: args.incidentId,
      title: status.title,
      service: status.service,
      environment: status.environment,
      severity: status.severity,
      alerts: status.alerts,
      action: step.action,
      params: view.params,
      adjustable: step.inputs,
      impact: step.impact,
      risk: step.risk,
      policySource: args.source,
      diagnostics: status.steps
        .filter((s) => s.kind === 'diagnostic')
        .map((s) => ({ stepId: s.id, state: s.state, output: s.output, error: s.error })),
      ifNobodyAnswers: objection
        ? `${step.id} runs automatically at ${expiresAt} unless someone objects.`
        : `Escalates to ${decision.escalation.join(' then ') || 'nobody'}; unanswered after that, ${step.id} does not run (fail closed).`,
      dryRun: args.dryRun,
    },
  };
}
