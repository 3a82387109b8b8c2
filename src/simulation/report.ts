import type { AuditEvent } from '../domain/audit/event.js';
import type { ResponseStatus } from '../domain/response/status.js';
import type { ActionRecord, GuardrailRecord, PageRecord, Recordings } from './recorders.js';
import type { Scenario } from './scenario.js';
import { policyViolations } from './policy-check.js';

/** A scripted person's input and what the response made of it. */
export interface InputRecord {
  at: string;
  who: string;
  does: string;
  step?: string;
  approvalId?: string;
  outcome?: 'accepted' | 'refused';
  refusal?: string;
}

export interface ApprovalSummary {
  id: string;
  stepId: string;
  kind: 'approval' | 'objection';
  tier: string;
  tiers: string[];
  approversRequired: number;
  policySource: string;
  requestedAt: string;
  expiresAt: string;
  state: string;
  decisions: Array<{ who: string; decision: string; at: string; afterRequestMs: number; reason: string }>;
}

/** What a simulation found: printed by `interlock simulate`, returned as JSON by `--json`. */
export interface SimulationReport {
  incidentId: string;
  playbook?: { id: string; version: number };
  /** The response's final phase, and how the simulation ended (the response ended, or why it was stopped). */
  phase?: string;
  ending: string;
  startedAt: string;
  endedAt: string;
  simulatedMs: number;
  /** Wall time of the whole run (server start, workers), and of the simulated incident itself. */
  wallMs: number;
  simulationWallMs: number;
  steps: Array<{ id: string; kind: string; state: string; note?: string; policy?: { mode: string; source: string } }>;
  approvals: ApprovalSummary[];
  pages: PageRecord[];
  escalations: PageRecord[];
  /** What would have run, with which parameters (nothing was performed). */
  actions: ActionRecord[];
  guardrails: GuardrailRecord[];
  inputs: InputRecord[];
  /** A mitigation (or a step that changes something) that ran without what its policy requires. */
  violations: string[];
  passed: boolean;
  timeline: Array<Pick<AuditEvent, 'time' | 'type' | 'summary' | 'stepId' | 'approvalId'> & { actor: string }>;
}

export function buildReport(args: {
  scenario: Scenario;
  status?: ResponseStatus;
  ending: string;
  /** As the response recorded it (server time). */
  timeline: AuditEvent[];
  offsetMs: number;
  recordings: Recordings;
  inputs: InputRecord[];
  startedAt: string;
  endedAt: string;
  wallMs: number;
  simulationWallMs: number;
}): SimulationReport {
  const { status, recordings, scenario } = args;
  // The server's times, shifted when the simulation starts before the server's clock.
  const shift = (iso: string) => new Date(Date.parse(iso) + args.offsetMs).toISOString();
  const timeline = args.timeline.map((e) => ({ ...e, time: shift(e.time) }));
  const approvals: ApprovalSummary[] = (status?.approvals ?? []).map((a) => ({
    id: a.id,
    stepId: a.stepId,
    kind: a.kind,
    tier: a.tier,
    tiers: a.tiers,
    approversRequired: a.approversRequired,
    policySource: a.context.policySource,
    requestedAt: shift(a.requestedAt),
    expiresAt: shift(a.expiresAt),
    state: a.state,
    decisions: a.decisions.map((d) => ({
      who: d.actor.id,
      decision: d.decision,
      at: shift(d.at),
      afterRequestMs: Date.parse(d.at) - Date.parse(a.requestedAt),
      reason: d.reason,
    })),
  }));
  // Times are told from the response's opening (a second or two of wall clock passes on the
  // server before the first workflow task runs).
  const startedAt = timeline[0]?.time ?? args.startedAt;
  const violations = policyViolations({ scenario, status, timeline, actions: recordings.actions, approvals });
  return {
    incidentId: scenario.alert.incidentId,
    playbook: status?.playbook,
    phase: status?.phase,
    ending: args.ending,
    startedAt,
    endedAt: args.endedAt,
    simulatedMs: Math.max(0, Date.parse(args.endedAt) - Date.parse(startedAt)),
    wallMs: args.wallMs,
    simulationWallMs: args.simulationWallMs,
    steps: (status?.steps ?? []).map((s) => ({
      id: s.id,
      kind: s.kind,
      state: s.state,
      note: s.note,
      policy: s.policy,
    })),
    approvals,
    pages: recordings.pages,
    escalations: recordings.pages.filter((p) => p.kind === 'approval.escalated'),
    actions: recordings.actions,
    guardrails: recordings.guardrails,
    inputs: args.inputs,
    violations,
    passed: violations.length === 0,
    timeline: timeline.map((e) => ({
      time: e.time,
      type: e.type,
      summary: e.summary,
      stepId: e.stepId,
      approvalId: e.approvalId,
      actor: e.actor.id,
    })),
  };
}

/** "+2h 15m", "+3m 10s", "+0s": simulated time since the start. */
export function sinceStart(report: Pick<SimulationReport, 'startedAt'>, at: string): string {
  let s = Math.max(0, Math.round((Date.parse(at) - Date.parse(report.startedAt)) / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].filter(Boolean);
  return `+${parts.join(' ')}`;
}
