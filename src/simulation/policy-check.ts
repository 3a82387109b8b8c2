import type { AuditEvent } from '../domain/audit/event.js';
import { selectorMatches } from '../domain/guardrails/controls.js';
import { decidePolicy, type PolicyDecision } from '../domain/policy/policy.js';
import type { ResponseStatus } from '../domain/response/status.js';
import type { ActionRecord } from './recorders.js';
import type { ApprovalSummary } from './report.js';
import type { Scenario } from './scenario.js';

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const RESTRICTIVENESS: Record<PolicyDecision['mode'], number> = {
  auto: 0,
  'auto-after-objection-window': 1,
  approval: 2,
  'manual-only': 3,
};

/**
 * Does this action change something? A mitigation does by definition. Any other step (diagnostic,
 * verification, notification) runs with no consent at all, so one that changes production is a
 * mitigation in disguise: an HTTP request other than GET/HEAD/OPTIONS. A shell command cannot be
 * told apart by its shape, so only its declared kind counts.
 */
function changesSomething(a: ActionRecord): boolean {
  if (a.kind === 'mitigation' || a.kind === 'compensation') return true;
  if (a.action !== 'http.request') return false;
  return !READ_ONLY_METHODS.has(String(a.params.method ?? 'GET').toUpperCase());
}

/**
 * The simulation's own check of the safety rule, independent of the workflow: for everything
 * that would have changed production, what does the policy (file rule, playbook floor, standing
 * guardrails) require, and was it there when it ran? Evaluated from the scenario's files, not
 * from what the workflow decided, so a playbook (or a change to the workflow) that lets a change
 * through without the consent its policy requires fails its simulation.
 */
export function policyViolations(args: {
  scenario: Scenario;
  status?: ResponseStatus;
  timeline: AuditEvent[];
  actions: ActionRecord[];
  approvals: ApprovalSummary[];
}): string[] {
  const { scenario, status, timeline, actions, approvals } = args;
  const labels = scenario.alert.labels;
  const facts = {
    service: status?.service ?? labels.service ?? 'unknown',
    environment: status?.environment ?? labels.environment ?? 'unknown',
    severity: status?.severity ?? labels.severity ?? 'unknown',
    labels,
  };
  const byId = new Map(scenario.people.map((p) => [p.id, p]));
  const problems: string[] = [];
  for (const a of actions.filter(changesSomething)) {
    if (a.kind === 'compensation') continue; // undo of a mitigation that had its consent
    const step = scenario.playbook.steps.find((s) => s.id === a.stepId);
    if (!step) continue;
    const guardrail = scenario.standingRules?.find(
      (r) =>
        r.effect !== 'block' &&
        selectorMatches(r.selector, {
          ...facts,
          action: step.action,
          playbook: scenario.playbook.id,
          kind: 'mitigation',
        }),
    );
    const required = decidePolicy(
      scenario.policy,
      { ...facts, risk: step.risk, action: step.action },
      step.kind === 'mitigation' ? step.policy : undefined,
    );
    const what = `${a.stepId} (${a.kind}, ${a.action}${a.params.method ? ` ${String(a.params.method)}` : ''})`;
    const disguised = a.kind !== 'mitigation' ? ` runs as a ${a.kind} but changes something, and` : '';
    const decision = required.decision;
    if (guardrail?.effect === 'manual-only') {
      problems.push(`${what}${disguised} ran although guardrail ${guardrail.id} makes it manual only`);
      continue;
    }
    if (decision.mode === 'manual-only') {
      problems.push(`${what}${disguised} ran although ${required.source} makes it manual only`);
      continue;
    }
    if (decision.mode === 'auto') continue;
    const ranAt = Date.parse(a.at);
    if (decision.mode === 'auto-after-objection-window') {
      const passed = timeline.some(
        (e) => e.type === 'objection.window-passed' && e.stepId === a.stepId && Date.parse(e.time) <= ranAt,
      );
      if (!passed) problems.push(`${what}${disguised} ran without the objection window ${required.source} requires`);
      continue;
    }
    const tiers = new Set([decision.tier, ...decision.escalation]);
    if (guardrail?.effect === 'approval' && guardrail.tier) tiers.add(guardrail.tier);
    const granted = approvals.find((r) => {
      if (r.stepId !== a.stepId || r.kind !== 'approval' || Date.parse(r.requestedAt) > ranAt) return false;
      const yes = new Set(
        r.decisions
          .filter((d) => d.decision === 'approve' && Date.parse(d.at) <= ranAt)
          .filter((d) => byId.get(d.who)?.groups.some((g) => tiers.has(g)))
          .map((d) => d.who),
      );
      return yes.size >= decision.approvers;
    });
    if (!granted)
      problems.push(
        `${what}${disguised} ran without the approval ${required.source} requires ` +
          `(${decision.approvers} of ${[...tiers].join('/')})`,
      );
  }
  // And what the response itself decided must be at least as strict as the files say.
  for (const view of status?.steps ?? []) {
    const step = scenario.playbook.steps.find((s) => s.id === view.id);
    if (!step || step.kind !== 'mitigation' || !view.policy) continue;
    const required = decidePolicy(scenario.policy, { ...facts, risk: step.risk, action: step.action }, step.policy);
    if (RESTRICTIVENESS[view.policy.mode] < RESTRICTIVENESS[required.decision.mode])
      problems.push(
        `${view.id}: the response decided ${view.policy.mode} (${view.policy.source}), ` +
          `but ${required.source} requires ${required.decision.mode}`,
      );
  }
  return problems;
}
