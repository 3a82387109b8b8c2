import type { Context } from '@opentelemetry/api';
import type { CancellationScope } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { condition, patched, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IncidentResponseInput } from '../../contracts/incident-response.js';
import type { ResponsePhase } from '../../contracts/phases.js';
import {
  ApprovalPendingSinceKey,
  AwaitingApprovalKey,
  EnvironmentKey,
  IncidentIdKey,
  ResponsePhaseKey,
  ServiceKey,
  SeverityKey,
} from '../../contracts/search-attributes.js';
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor/actor.js';
import { redactSecrets, type AuditEvent } from '../../domain/audit/event.js';
import type { GuardrailFacts } from '../../domain/guardrails/controls.js';
import {
  defaultInputs,
  renderParams,
  type ActionSpec,
  type Playbook,
  type PlaybookStep,
} from '../../domain/playbook/playbook.js';
import type { Policy } from '../../domain/policy/policy.js';
import type { OptOutRecord } from '../../domain/response/status.js';
import type { ActorRef, ResponseStatus, StepState, StepStatus } from '../../domain/response/status.js';
import { indexAuditEvents } from './activities.js';
import { countAuditEvent } from './metrics.js';
import { auditFacets } from './audit-facets.js';
import { AuditTrail } from '../shared/audit-trail.js';
import type { NotificationOutbox } from '../shared/notification-outbox.js';
import { NonceMemory, type TrustState } from '../shared/verification.js';

/** The automation as recorded in audit events (no roles or groups: those are not audit fields). */
export const AUTOMATION: ActorRef = { id: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name, channel: SYSTEM_ACTOR.channel };

/** The actor as recorded; `verified` only when verification applies to this response. */
export function who(actor: Actor & { verified?: boolean }): ActorRef {
  const ref: ActorRef = { id: actor.id, name: actor.name, channel: actor.channel };
  if (actor.verified !== undefined) ref.verified = actor.verified;
  return ref;
}

export function now(): string {
  return new Date().toISOString(); // workflow time: deterministic on replay
}

function oldestRequest(pending: Array<{ requestedAt: string }>): Date {
  return new Date(Math.min(...pending.map((a) => Date.parse(a.requestedAt))));
}

export function describeScope(scope: OptOutRecord['scope']): string {
  if (scope.kind === 'response') return 'the whole response';
  return scope.kind === 'step' ? `step ${scope.stepId}` : `action ${scope.action}`;
}

/**
 * Everything one response knows, in one object the handlers, the consent gate, the mitigation
 * driver and the step runner share. It is plain workflow state: Temporal rebuilds it on replay
 * by running the same code over the same history.
 */
export class ResponseContext {
  readonly workflowId: string;
  readonly dryRun: boolean;
  readonly status: ResponseStatus;
  readonly audit: AuditTrail;
  playbook: Playbook | undefined;
  policy: Policy | undefined;
  /** What is running now, so a halt-now opt-out can interrupt exactly that. */
  running: { stepId: string; action: string; scope: CancellationScope } | undefined;
  /** The event that interrupted the running step (opt-out, resolution, guardrail). */
  haltedBy: AuditEvent | undefined;
  stopRequest: { actor: ActorRef; reason: string; event: AuditEvent } | undefined;
  /** Undo actions of succeeded mitigations, in the order they succeeded. */
  readonly compensations: Array<{ stepId: string; action: ActionSpec }> = [];
  readonly stepsRun: string[] = [];
  resolved = false;
  /** Delivery ids already recorded: senders retry, and a repeat must not count twice. */
  readonly seenDeliveries = new Set<string>();
  /** Sends what handlers and outcomes raise; undefined in responses begun before it existed. */
  outbox: NotificationOutbox | undefined;
  /** How many notifications this response has sent (their ids count up). */
  notificationsSent = 0;
  /** Record who was asked and what arrived (false in responses begun before that existed). */
  recordsDeliveries = false;
  /** What the worker says to trust (keys, Temporal identities); see shared/verification.ts. */
  trust: TrustState = 'legacy';
  /** Nonces of signed decisions already taken: a replayed decision is refused. */
  nonces = new NonceMemory();
  /** The newest controls broadcast to this response (the check before scheduling reads them fresh). */
  controlsVersion = 0;
  /** The trace context of the decision that settled each approval (decision-trace.ts; memory only). */
  readonly decisionTraces = new Map<string, Context>();
  /** Opt-outs ever engaged: their IDs count up (a continued run keeps only the newest released ones). */
  optOutsIssued = 0;
  /** Runs before this one (continue-as-new). */
  readonly runs: number;
  /** How many of the main line's waits are open now: it may continue as new only while one is. */
  resting = 0;
  /** Continuing as new: the main line must not act any more in this run. */
  cuttingOver = false;
  /** This run may continue as new (false in histories recorded before that existed). */
  canContinue = false;

  constructor(readonly input: IncidentResponseInput) {
    const { workflowId, firstExecutionRunId } = workflowInfo();
    this.workflowId = workflowId;
    this.dryRun = input.dryRun === true;
    const carried = input.carried;
    this.runs = carried?.runs ?? 0;
    this.status = carried?.status ?? {
      incidentId: input.incidentId,
      workflowId,
      phase: 'waiting-for-alert',
      dryRun: this.dryRun,
      title: input.incidentId,
      service: 'unknown',
      environment: 'unknown',
      severity: 'unknown',
      labels: {},
      alerts: [],
      deliveries: 0,
      duplicateDeliveries: 0,
      steps: [],
      approvals: [],
      optOuts: [],
      overrides: [],
      timeline: [],
    };
    const status = this.status;
    this.audit = new AuditTrail(
      // The first run's ID: every run of this response extends one chain (continue-as-new).
      { incidentId: input.incidentId, workflowId, runKey: firstExecutionRunId },
      () => ({ service: status.service, environment: status.environment, severity: status.severity }),
      indexAuditEvents,
      carried && { ...carried.audit, held: carried.timeline },
    );
    this.audit.observer = (event) => countAuditEvent(this, event);
    // Responses recorded before analytics facets existed replay without them: the facets are
    // hashed, and their stored events (and chain heads) were hashed without them.
    if (patched('audit-analytics-facets')) this.audit.enrich = auditFacets(this);
    if (carried) {
      this.playbook = carried.playbook;
      this.policy = carried.policy;
      this.compensations.push(...carried.compensations);
      this.stepsRun.push(...carried.stepsRun);
      this.resolved = carried.resolved;
      this.stopRequest = carried.stopRequest;
      for (const id of carried.seenDeliveries) this.seenDeliveries.add(id);
      this.notificationsSent = carried.notificationsSent;
      this.recordsDeliveries = carried.recordsDeliveries;
      this.nonces = new NonceMemory(carried.nonces);
      this.controlsVersion = carried.controlsVersion;
      this.optOutsIssued = carried.optOutsIssued;
    } else {
      // Earlier responses number from what they hold, and hold everything: the same IDs.
      this.optOutsIssued = status.optOuts.length;
    }
  }

  /**
   * A wait of the main line during which the response may continue as new (nothing of its own
   * is in flight: no mitigation, no activity). Once a continuation has begun, the wait never
   * returns in this run: the next run takes up the same wait from the carried state.
   */
  rest(until: () => boolean): Promise<void>;
  rest(until: () => boolean, timeout: Duration, summary?: string): Promise<boolean>;
  rest(until: () => boolean, timeout?: Duration, summary?: string): Promise<boolean | void> {
    const wait = (): Promise<boolean | void> =>
      timeout === undefined
        ? condition(until)
        : summary
          ? condition(until, timeout, { summary })
          : condition(until, timeout);
    // Responses recorded before continue-as-new get the very promise they always awaited: an
    // extra await would reorder what they schedule in one activation, and their replay fails.
    if (!this.canContinue) return wait();
    return this.restHere(wait);
  }

  private async restHere<T>(wait: () => Promise<T>): Promise<T> {
    this.resting += 1;
    let result: T;
    try {
      result = await wait();
    } finally {
      this.resting -= 1;
    }
    if (this.cuttingOver) await condition(() => false);
    return result;
  }

  stepSpec(stepId: string): PlaybookStep | undefined {
    return this.playbook?.steps.find((s) => s.id === stepId);
  }

  stepStatus(stepId: string): StepStatus | undefined {
    return this.status.steps.find((s) => s.id === stepId);
  }

  responseOptOut(): OptOutRecord | undefined {
    return this.status.optOuts.find((o) => o.active && o.scope.kind === 'response');
  }

  activeOptOutCount(): number {
    return this.status.optOuts.filter((o) => o.active).length;
  }

  pendingApprovals() {
    return this.status.approvals.filter((a) => a.state === 'pending');
  }

  setStepState(step: StepStatus, state: StepState, note?: string): void {
    step.state = state;
    step.note = note;
    step.history.push({ at: now(), state, note });
  }

  /** Show the Temporal UI what a person needs: the phase, who is awaited, who holds it. */
  publish(): void {
    const { status } = this;
    const pending = this.pendingApprovals();
    const awaiting = pending.length > 0;
    upsertSearchAttributes([
      { key: ResponsePhaseKey, value: status.phase },
      { key: AwaitingApprovalKey, value: awaiting },
      // Since when the oldest open request waits, for the worker's pending-approval gauges
      // (src/worker/pending-approvals.ts). A new attribute in the upsert command: responses
      // begun before it existed replay without it.
      ...(patched('approval-pending-since')
        ? [{ key: ApprovalPendingSinceKey, value: awaiting ? oldestRequest(pending) : null }]
        : []),
    ]);
    const optOut = this.responseOptOut();
    const waitingFor = pending.map((a) => `${a.kind} ${a.id} (tier ${a.tier}, until ${a.expiresAt})`).join(', ');
    setCurrentDetails(
      `**${status.title}** — ${status.service}/${status.environment}, severity ${status.severity}` +
        `${this.dryRun ? ' (DRY RUN)' : ''}\n\n` +
        `Phase: ${status.phase}` +
        (awaiting ? `\n\nWaiting for: ${waitingFor}` : '') +
        (optOut ? `\n\nOpted out (${optOut.mode}) by ${optOut.actor.name}: ${optOut.reason}` : '') +
        (status.handover ? `\n\nHanded over to ${status.handover.owner.name}` : ''),
    );
  }

  /** A continued run: the search attributes and details as the earlier run left them. */
  reannounce(): void {
    const { status } = this;
    if (status.deliveries > 0)
      upsertSearchAttributes([
        { key: IncidentIdKey, value: this.input.incidentId },
        { key: ServiceKey, value: status.service },
        { key: EnvironmentKey, value: status.environment },
        { key: SeverityKey, value: status.severity },
      ]);
    this.publish();
  }

  setPhase(phase: ResponsePhase): void {
    this.status.phase = phase;
    this.publish();
  }

  /** Inputs a step would run with now: defaults, then set-inputs overrides, in order. */
  currentInputs(step: PlaybookStep): Record<string, unknown> {
    const values = defaultInputs(step);
    for (const o of this.status.overrides) {
      if (o.type === 'set-inputs' && o.stepId === step.id) Object.assign(values, o.inputs);
    }
    return values;
  }

  renderedAction(spec: ActionSpec, inputs: Record<string, unknown>): ActionSpec {
    return {
      action: spec.action,
      params: renderParams(spec.params, { inputs, labels: this.status.labels }),
    } as ActionSpec;
  }

  refreshStepView(step: PlaybookStep): void {
    const view = this.stepStatus(step.id)!;
    view.inputs = this.currentInputs(step);
    view.params = redactSecrets(this.renderedAction(step, view.inputs).params) as Record<string, unknown>;
  }

  /** The facts a guardrail judges a step by. */
  factsFor(step: PlaybookStep): GuardrailFacts {
    const { status } = this;
    return {
      service: status.service,
      environment: status.environment,
      action: step.action,
      severity: status.severity,
      playbook: this.playbook?.id ?? '',
      labels: status.labels,
      kind: step.kind,
    };
  }

  /** Cancel the running step's scope, remembering why (its audit event names the cause). */
  interruptRunning(cause: AuditEvent): void {
    if (!this.running) return;
    this.haltedBy = cause;
    this.running.scope.cancel();
  }

  /**
   * Close the response: by a person (the resolve input) or by the playbook when every alert has
   * cleared. Nothing more runs; pending requests are withdrawn; a running step is interrupted.
   */
  resolveResponse(
    actor: ActorRef,
    resolution: string,
    event: { summary: string; reason?: string; causedBy?: string },
  ): void {
    this.resolved = true;
    this.status.resolution = { actor, summary: resolution, at: now() };
    for (const approval of this.pendingApprovals()) approval.state = 'withdrawn';
    const resolvedEvent = this.audit.record('response.resolved', { actor, ...event });
    this.interruptRunning(resolvedEvent);
  }
}
