import {
  ActivityCancellationType,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor/actor.js';
import { redactSecrets, type AuditEvent } from '../../domain/audit/event.js';
import { refuseDecision } from '../../domain/approval/authorize-decision.js';
import { alertDeliverySchema, incidentFacets, type AlertDelivery } from '../../domain/incident/alert.js';
import type { Playbook, PlaybookStep } from '../../domain/playbook/playbook.js';
import { decisionSchema, describeIssues, optOutSchema, stopRequestSchema, type DecisionInput, type OptOutInput, type StopRequestInput } from '../../domain/response/inputs.js';
import type { ApprovalRequest, ResponsePhase, ResponseStatus, StepStatus } from '../../domain/response/status.js';
import { AuditTrail } from './audit-trail.js';
import {
  alertSignal,
  decideSignal,
  decideUpdate,
  optOutSignal,
  optOutUpdate,
  statusQuery,
  stopRequestSignal,
  type IncidentResponseInput,
  type IncidentResponseOutcome,
  type RefusalType,
} from './messages.js';
import { AwaitingApprovalKey, EnvironmentKey, IncidentIdKey, ResponsePhaseKey, ServiceKey, SeverityKey } from './search-attributes.js';

const { selectPlaybook, indexAuditEvents } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // Indexing retries without limit: OpenSearch down for minutes must delay, never drop, events.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Heartbeats carry cancellation to the activity; the worker throttles them to ~200 ms. */
function actionRunner(step: PlaybookStep) {
  const timeoutMs = step.timeout ?? step.params.timeout + 5_000;
  return proxyActivities<IncidentActivities>({
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: '5s',
    // Wait until the activity has really stopped (request aborted) before recording "cancelled".
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A mitigation changes production: never repeat it behind a human's back. Reads may retry.
    retry: { maximumAttempts: step.kind === 'mitigation' ? 1 : 3 },
  }).runAction;
}

/** The automation as recorded in audit events (no roles or groups: those are not audit fields). */
const AUTOMATION: AuditEvent['actor'] = { id: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name, channel: SYSTEM_ACTOR.channel };

const TERMINAL: ReadonlySet<ResponsePhase> = new Set(['completed', 'no-playbook', 'opted-out', 'cancelled', 'failed']);

function refuse(type: RefusalType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

function who(actor: Actor): AuditEvent['actor'] {
  return { id: actor.id, name: actor.name, channel: actor.channel };
}

export async function incidentResponse(input: IncidentResponseInput): Promise<IncidentResponseOutcome> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const status: ResponseStatus = {
    incidentId: input.incidentId,
    workflowId,
    phase: 'waiting-for-alert',
    title: input.incidentId,
    service: 'unknown',
    environment: 'unknown',
    severity: 'unknown',
    labels: {},
    alerts: [],
    deliveries: 0,
    steps: [],
    approvals: [],
    timeline: [],
  };
  const audit = new AuditTrail(
    { incidentId: input.incidentId, workflowId, runKey: firstExecutionRunId },
    () => ({ service: status.service, environment: status.environment, severity: status.severity }),
    indexAuditEvents,
  );
  let optOutEvent: AuditEvent | undefined;
  let stopRequest: { input: StopRequestInput; event: AuditEvent } | undefined;
  let runningMitigation: CancellationScope | undefined;
  const stepsRun: string[] = [];

  const setPhase = (phase: ResponsePhase) => {
    status.phase = phase;
    const awaiting = status.approvals.some((a) => a.state === 'pending');
    upsertSearchAttributes([
      { key: ResponsePhaseKey, value: phase },
      { key: AwaitingApprovalKey, value: awaiting },
    ]);
    setCurrentDetails(
      `**${status.title}** — ${status.service}/${status.environment}, severity ${status.severity}\n\nPhase: ${phase}` +
        (awaiting ? '\n\nWaiting for approval: see the `status` query.' : '') +
        (status.optOut ? `\n\nOpted out by ${status.optOut.actor.name}: ${status.optOut.reason}` : ''),
    );
  };

  // ---- Handlers: registered before the first await so no early signal or update is lost. ----

  const onAlert = (delivery: AlertDelivery) => {
    const first = status.deliveries === 0;
    status.deliveries += 1;
    for (const alert of delivery.alerts) {
      const known = status.alerts.findIndex((a) => a.fingerprint === alert.fingerprint);
      if (known >= 0) status.alerts[known] = alert;
      else status.alerts.push(alert);
    }
    if (first) {
      Object.assign(status, incidentFacets(delivery.labels), { title: delivery.title, labels: delivery.labels });
      upsertSearchAttributes([
        { key: IncidentIdKey, value: input.incidentId },
        { key: ServiceKey, value: status.service },
        { key: EnvironmentKey, value: status.environment },
        { key: SeverityKey, value: status.severity },
      ]);
    }
    audit.record(first ? 'response.opened' : 'alert.joined', {
      actor: { id: delivery.source, name: delivery.source, channel: 'system' },
      summary: `${first ? 'Response opened' : 'Alert joined'}: ${delivery.title} (${delivery.status}, ${delivery.alerts.length} alert(s))`,
      outcome: delivery.status,
    });
  };
  setHandler(alertSignal, (raw) => {
    const parsed = alertDeliverySchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', { actor: AUTOMATION, summary: `Malformed alert signal refused: ${describeIssues(parsed.error)}` });
      return;
    }
    onAlert(parsed.data);
  });

  setHandler(statusQuery, () => ({ ...status, timeline: audit.events }));

  const validateDecision = (raw: unknown): DecisionInput => {
    const parsed = decisionSchema.safeParse(raw);
    if (!parsed.success) refuse('InvalidInput', describeIssues(parsed.error));
    if (TERMINAL.has(status.phase)) refuse('ResponseClosed', `the response has ended (${status.phase})`);
    const refusal = refuseDecision(status.approvals.find((a) => a.id === parsed.data.approvalId), parsed.data, Date.now());
    if (refusal) refuse(refusal.code, refusal.message);
    return parsed.data;
  };
  const applyDecision = (decision: DecisionInput): ApprovalRequest => {
    const approval = status.approvals.find((a) => a.id === decision.approvalId)!;
    approval.decisions.push({ actor: who(decision.actor), decision: decision.decision, reason: decision.reason, at: new Date().toISOString() });
    const granted = approval.decisions.filter((d) => d.decision === 'approve').length;
    if (decision.decision === 'reject') approval.state = 'rejected';
    else if (granted >= approval.approversRequired) approval.state = 'approved';
    audit.record(decision.decision === 'reject' ? 'approval.rejected' : 'approval.granted', {
      actor: who(decision.actor),
      reason: decision.reason,
      approvalId: approval.id,
      stepId: approval.stepId,
      summary:
        decision.decision === 'reject'
          ? `${decision.actor.name} rejected ${approval.stepId}`
          : `${decision.actor.name} approved ${approval.stepId} (${granted}/${approval.approversRequired})`,
      outcome: approval.state,
    });
    return approval;
  };
  setHandler(decideUpdate, (decision) => applyDecision(decision), { validator: (decision) => void validateDecision(decision) });
  setHandler(decideSignal, (raw) => {
    try {
      applyDecision(viaTemporalUi(validateDecision(raw)));
    } catch (err) {
      // A signal cannot be refused to its sender; record it so the attempt is visible.
      audit.record('input.rejected', {
        actor: signalActor(raw),
        summary: `Decision signal refused: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  });

  const validateOptOut = (raw: unknown): OptOutInput => {
    const parsed = optOutSchema.safeParse(raw);
    if (!parsed.success) refuse('InvalidInput', describeIssues(parsed.error));
    if (TERMINAL.has(status.phase) && !status.optOut) refuse('ResponseClosed', `the response has ended (${status.phase})`);
    return parsed.data;
  };
  const applyOptOut = (optOut: OptOutInput): ResponseStatus['optOut'] => {
    if (status.optOut) return status.optOut; // idempotent: the first opt-out stands
    status.optOut = { actor: who(optOut.actor), reason: optOut.reason, at: new Date().toISOString() };
    optOutEvent = audit.record('optout.engaged', {
      actor: who(optOut.actor),
      reason: optOut.reason,
      summary: `${optOut.actor.name} opted out of automation for this response`,
    });
    for (const approval of status.approvals.filter((a) => a.state === 'pending')) {
      approval.state = 'withdrawn';
      audit.record('approval.withdrawn', {
        actor: who(optOut.actor),
        approvalId: approval.id,
        stepId: approval.stepId,
        summary: `Approval request for ${approval.stepId} withdrawn by the opt-out`,
        causedBy: optOutEvent.eventId,
      });
    }
    runningMitigation?.cancel();
    return status.optOut;
  };
  setHandler(optOutUpdate, (optOut) => applyOptOut(optOut), { validator: (optOut) => void validateOptOut(optOut) });
  setHandler(optOutSignal, (raw) => {
    try {
      applyOptOut(viaTemporalUi(validateOptOut(raw)));
    } catch (err) {
      audit.record('input.rejected', { actor: signalActor(raw), summary: `Opt-out signal refused: ${err instanceof Error ? err.message : String(err)}` });
    }
  });

  setHandler(stopRequestSignal, (raw) => {
    const parsed = stopRequestSchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', { actor: signalActor(raw), summary: `Stop request refused: ${describeIssues(parsed.error)}` });
      return;
    }
    const event = audit.record('response.stop-requested', {
      actor: who(parsed.data.actor),
      reason: parsed.data.reason,
      summary: `${parsed.data.actor.name} requested an emergency stop`,
    });
    stopRequest = { input: parsed.data, event };
  });

  audit.start();

  // ---- The response itself. ----

  const runStep = async (step: PlaybookStep, stepStatus: StepStatus, causedBy?: string): Promise<void> => {
    const isMitigation = step.kind === 'mitigation';
    stepStatus.state = 'running';
    stepStatus.startedAt = new Date().toISOString();
    const parameters = redactSecrets(step.params) as Record<string, unknown>;
    const started = audit.record(isMitigation ? 'mitigation.started' : 'step.started', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      parameters,
      summary: `${step.kind} ${step.id} started (${step.action})`,
      causedBy,
    });
    stepsRun.push(step.id);
    const scope = new CancellationScope();
    if (isMitigation) runningMitigation = scope;
    try {
      const result = await scope.run(() =>
        actionRunner(step)({ incidentId: input.incidentId, stepId: step.id, kind: step.kind, action: step.action, params: step.params }),
      );
      stepStatus.state = 'succeeded';
      stepStatus.output = result;
      audit.record(isMitigation ? 'mitigation.succeeded' : 'step.succeeded', {
        actor: AUTOMATION,
        stepId: step.id,
        action: step.action,
        summary: `${step.kind} ${step.id} succeeded (HTTP ${result.status})`,
        outcome: `http ${result.status}`,
        causedBy: started.eventId,
      });
    } catch (err) {
      stepStatus.error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      if (isCancellation(err)) {
        stepStatus.state = 'cancelled';
        const cause = optOutEvent ?? stopRequest?.event;
        audit.record(isMitigation ? 'mitigation.cancelled' : 'step.failed', {
          actor: cause ? cause.actor : AUTOMATION,
          stepId: step.id,
          action: step.action,
          summary: `${step.kind} ${step.id} interrupted${optOutEvent ? ' by the opt-out' : ' by the emergency stop'}`,
          outcome: 'cancelled',
          causedBy: cause?.eventId ?? started.eventId,
        });
        // The opt-out cancelled only this step's scope; a workflow cancel must keep unwinding.
        if (CancellationScope.current().consideredCancelled) throw err;
      } else {
        stepStatus.state = 'failed';
        audit.record(isMitigation ? 'mitigation.failed' : 'step.failed', {
          actor: AUTOMATION,
          stepId: step.id,
          action: step.action,
          summary: `${step.kind} ${step.id} failed: ${stepStatus.error}`,
          outcome: 'failed',
          causedBy: started.eventId,
        });
      }
    } finally {
      if (isMitigation) runningMitigation = undefined;
      stepStatus.endedAt = new Date().toISOString();
    }
  };

  /** Ask for approval and wait for the outcome; returns the granting event, or undefined. */
  const awaitApproval = async (step: PlaybookStep, stepStatus: StepStatus): Promise<AuditEvent | undefined> => {
    const spec = step.approval!;
    const now = Date.now();
    const approval: ApprovalRequest = {
      id: `${step.id}-1`,
      stepId: step.id,
      state: 'pending',
      tier: spec.tier,
      approversRequired: spec.approvers,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + spec.timeout).toISOString(),
      requestedBy: { id: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name },
      decisions: [],
      context: {
        incidentId: input.incidentId,
        title: status.title,
        service: status.service,
        environment: status.environment,
        severity: status.severity,
        alerts: status.alerts,
        action: step.action,
        params: redactSecrets(step.params) as Record<string, unknown>,
        impact: step.impact,
        diagnostics: status.steps
          .filter((s) => s.kind === 'diagnostic')
          .map((s) => ({ stepId: s.id, state: s.state, output: s.output, error: s.error })),
        ifNobodyAnswers: `The request expires at ${new Date(now + spec.timeout).toISOString()} and ${step.id} does not run.`,
      },
    };
    status.approvals.push(approval);
    stepStatus.state = 'awaiting-approval';
    audit.record('approval.requested', {
      actor: AUTOMATION,
      stepId: step.id,
      approvalId: approval.id,
      action: step.action,
      parameters: approval.context.params,
      summary: `Approval requested for ${step.id} from tier ${spec.tier} (${spec.approvers} approver(s), expires ${approval.expiresAt})`,
    });
    setPhase('awaiting-approval');
    const answered = await condition(() => approval.state !== 'pending', spec.timeout);
    if (!answered) {
      approval.state = 'expired';
      audit.record('approval.expired', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        summary: `Nobody approved ${step.id} in time; it will not run`,
        outcome: 'expired',
      });
    }
    if (approval.state !== 'approved') return undefined;
    return audit.events.findLast((e) => e.approvalId === approval.id && e.type === 'approval.granted');
  };

  try {
    await condition(() => status.deliveries > 0);
    const playbook: Playbook | null = await selectPlaybook(status.labels);
    if (!playbook) {
      audit.record('playbook.missing', { actor: AUTOMATION, summary: 'No playbook matches these alerts; nothing is automated' });
      setPhase('no-playbook');
    } else {
      status.playbook = { id: playbook.id, version: playbook.version };
      status.steps = playbook.steps.map((s) => ({ id: s.id, kind: s.kind, action: s.action, title: s.title, impact: s.impact, params: redactSecrets(s.params) as Record<string, unknown>, state: 'pending' }));
      audit.record('playbook.selected', { actor: AUTOMATION, summary: `Playbook ${playbook.id} v${playbook.version} selected` });
      for (const [i, step] of playbook.steps.entries()) {
        const stepStatus = status.steps[i]!;
        if (status.optOut) {
          stepStatus.state = 'skipped';
          continue;
        }
        let grant: AuditEvent | undefined;
        if (step.approval) {
          grant = await awaitApproval(step, stepStatus);
          const approval = status.approvals.find((a) => a.stepId === step.id)!;
          if (!grant) {
            stepStatus.state = approval.state === 'rejected' ? 'rejected' : approval.state === 'expired' ? 'expired' : 'skipped';
            audit.record('step.skipped', { actor: AUTOMATION, stepId: step.id, summary: `${step.id} skipped: approval ${approval.state}`, outcome: approval.state });
            continue;
          }
        }
        // The safety rule, checked in the same activation that schedules the activity: nothing
        // can arrive between this check and the schedule command.
        if (status.optOut || (step.approval && status.approvals.find((a) => a.stepId === step.id)?.state !== 'approved')) {
          stepStatus.state = 'skipped';
          continue;
        }
        setPhase(step.kind === 'mitigation' ? 'mitigating' : 'diagnosing');
        await runStep(step, stepStatus, grant?.eventId);
      }
      setPhase(status.optOut ? 'opted-out' : 'completed');
    }
    audit.record('response.completed', { actor: AUTOMATION, summary: `Response ended: ${status.phase}`, outcome: status.phase });
    await condition(allHandlersFinished);
    await audit.flush();
    return { phase: status.phase, stepsRun };
  } catch (err) {
    if (isCancellation(err)) {
      // Catching a cancellation and returning would end COMPLETED; record, then rethrow.
      await CancellationScope.nonCancellable(async () => {
        for (const s of status.steps.filter((s) => s.state === 'pending' || s.state === 'awaiting-approval')) s.state = 'skipped';
        for (const a of status.approvals.filter((a) => a.state === 'pending')) a.state = 'withdrawn';
        setPhase('cancelled');
        audit.record('response.cancelled', {
          actor: stopRequest ? who(stopRequest.input.actor) : { id: 'unknown', name: 'Temporal cancel request', channel: 'temporal-ui' },
          reason: stopRequest?.input.reason,
          summary: 'Response cancelled (emergency stop)',
          outcome: 'cancelled',
          causedBy: stopRequest?.event.eventId,
        });
        await audit.flush();
      });
    }
    throw err;
  }
}

/**
 * Signals reach the workflow from the Temporal UI or CLI, never from the gateway (which uses
 * updates), so their actor is self-declared: record the channel for what it is.
 */
function viaTemporalUi<T extends { actor: Actor }>(input: T): T {
  return { ...input, actor: { ...input.actor, channel: 'temporal-ui' } };
}

/** Best-effort attribution of a malformed signal; it is recorded, never trusted. */
function signalActor(raw: unknown): AuditEvent['actor'] {
  const actor = (raw as { actor?: Partial<Actor> } | null)?.actor;
  return {
    id: typeof actor?.id === 'string' ? actor.id : 'unknown',
    name: typeof actor?.name === 'string' ? actor.name : 'unknown',
    channel: 'temporal-ui',
  };
}
