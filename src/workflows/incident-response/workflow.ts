import {
  ActivityCancellationType,
  ActivityFailure,
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
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { IncidentActivities } from '../../activities/index.js';
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor/actor.js';
import { redactSecrets, type AuditEvent } from '../../domain/audit/event.js';
import { alertDeliverySchema, incidentFacets, type AlertDelivery } from '../../domain/incident/alert.js';
import { defaultInputs, renderParams, type ActionSpec, type Playbook, type PlaybookStep } from '../../domain/playbook/playbook.js';
import { decidePolicy, type ApprovalPolicy, type Policy } from '../../domain/policy/policy.js';
import { describeIssues, stopRequestSchema, type OptInInput, type OptOutInput, type OverrideInput } from '../../domain/response/inputs.js';
import { mitigationBlocker, optOutCovers, sameInputs } from '../../domain/response/safety.js';
import type { ActorRef, ApprovalRequest, OptOutRecord, OverrideRecord, ResponsePhase, ResponseStatus, StepState, StepStatus } from '../../domain/response/status.js';
import { consentLevels, newApprovalRequest, type ConsentDecision } from '../../domain/approval/request.js';
import { AuditTrail } from './audit-trail.js';
import { createInputValidators, UNFINISHED } from './input-validation.js';
import { evaluateControls, missingGuardrailConsent, type Controls, type GuardrailFacts } from '../../domain/guardrails/controls.js';
import { controlsChangedSignal } from '../guardrails/messages.js';
import * as msg from './messages.js';
import { AwaitingApprovalKey, EnvironmentKey, IncidentIdKey, ResponsePhaseKey, ServiceKey, SeverityKey } from './search-attributes.js';

const { selectPlaybook, indexAuditEvents, sendNotification } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // Indexing retries without limit: OpenSearch down for minutes must delay, never drop, events.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const { checkGuardrails } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  // Unreachable guardrails mean "cannot tell": the mitigation waits (fails closed) meanwhile.
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

/** While blocked by a guardrail, look again at least this often (a broadcast wakes it sooner). */
const GUARDRAIL_RECHECK = '10s';

/**
 * Heartbeats carry cancellation to the activity: sent every 200 ms when few actions run, less
 * often when a worker has many in flight (see activities/actions/heartbeat.ts, at most every 10 s).
 */
function actionRunner(kind: string, action: ActionSpec) {
  return proxyActivities<IncidentActivities>({
    startToCloseTimeout: action.params.timeout + 5_000,
    heartbeatTimeout: '30s',
    // Wait until the activity has really stopped (request aborted, process killed) before
    // recording "cancelled" and moving on.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A mitigation changes production: never repeat it behind a human's back. Reads may retry.
    retry: { maximumAttempts: kind === 'mitigation' ? 1 : 3 },
  }).runAction;
}

const PHASE_FOR_KIND: Record<string, ResponsePhase> = { diagnostic: 'diagnosing', mitigation: 'mitigating', verification: 'verifying', notification: 'notifying' };
/** The automation as recorded in audit events (no roles or groups: those are not audit fields). */
const AUTOMATION: ActorRef = { id: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name, channel: SYSTEM_ACTOR.channel };

function who(actor: Actor): ActorRef {
  return { id: actor.id, name: actor.name, channel: actor.channel };
}

function now(): string {
  return new Date().toISOString(); // workflow time: deterministic on replay
}

export async function incidentResponse(input: msg.IncidentResponseInput): Promise<msg.IncidentResponseOutcome> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const dryRun = input.dryRun === true;
  const status: ResponseStatus = {
    incidentId: input.incidentId,
    workflowId,
    phase: 'waiting-for-alert',
    dryRun,
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
  const audit = new AuditTrail(
    { incidentId: input.incidentId, workflowId, runKey: firstExecutionRunId },
    () => ({ service: status.service, environment: status.environment, severity: status.severity }),
    indexAuditEvents,
  );
  let playbook: Playbook | undefined;
  let policy: Policy | undefined;
  /** What is running now, so a halt-now opt-out can interrupt exactly that. */
  let running: { stepId: string; action: string; scope: CancellationScope } | undefined;
  let haltedBy: AuditEvent | undefined;
  let stopRequest: { actor: ActorRef; reason: string; event: AuditEvent } | undefined;
  const compensations: Array<{ stepId: string; action: ActionSpec }> = [];
  const stepsRun: string[] = [];
  let resolved = false;
  /** The newest controls broadcast to this response (the check before scheduling reads them fresh). */
  let controlsVersion = 0;

  const stepSpec = (stepId: string) => playbook?.steps.find((s) => s.id === stepId);
  const stepStatus = (stepId: string) => status.steps.find((s) => s.id === stepId);
  const responseOptOut = () => status.optOuts.find((o) => o.active && o.scope.kind === 'response');
  const pendingApprovals = () => status.approvals.filter((a) => a.state === 'pending');

  const setStepState = (step: StepStatus, state: StepState, note?: string) => {
    step.state = state;
    step.note = note;
    step.history.push({ at: now(), state, note });
  };

  const publish = () => {
    const awaiting = pendingApprovals().length > 0;
    upsertSearchAttributes([
      { key: ResponsePhaseKey, value: status.phase },
      { key: AwaitingApprovalKey, value: awaiting },
    ]);
    const optOut = responseOptOut();
    setCurrentDetails(
      `**${status.title}** — ${status.service}/${status.environment}, severity ${status.severity}${dryRun ? ' (DRY RUN)' : ''}\n\n` +
        `Phase: ${status.phase}` +
        (awaiting ? `\n\nWaiting for: ${pendingApprovals().map((a) => `${a.kind} ${a.id} (tier ${a.tier}, until ${a.expiresAt})`).join(', ')}` : '') +
        (optOut ? `\n\nOpted out (${optOut.mode}) by ${optOut.actor.name}: ${optOut.reason}` : '') +
        (status.handover ? `\n\nHanded over to ${status.handover.owner.name}` : ''),
    );
  };
  const setPhase = (phase: ResponsePhase) => {
    status.phase = phase;
    publish();
  };

  /** Inputs a step would run with now: defaults, then set-inputs overrides, in order. */
  const currentInputs = (step: PlaybookStep): Record<string, unknown> => {
    const values = defaultInputs(step);
    for (const o of status.overrides) if (o.type === 'set-inputs' && o.stepId === step.id) Object.assign(values, o.inputs);
    return values;
  };
  const renderedAction = (spec: ActionSpec, inputs: Record<string, unknown>): ActionSpec =>
    ({ action: spec.action, params: renderParams(spec.params, { inputs, labels: status.labels }) }) as ActionSpec;
  const refreshStepView = (step: PlaybookStep) => {
    const view = stepStatus(step.id)!;
    view.inputs = currentInputs(step);
    view.params = redactSecrets(renderedAction(step, view.inputs).params) as Record<string, unknown>;
  };

  // ---- Handlers: registered before the first await so no early signal or update is lost. ----

  const seenDeliveries = new Set<string>();
  const onAlert = (delivery: AlertDelivery) => {
    // Senders retry: a delivery they identify is recorded once, however often it arrives.
    if (delivery.deliveryId) {
      if (seenDeliveries.has(delivery.deliveryId)) {
        status.duplicateDeliveries += 1;
        return;
      }
      seenDeliveries.add(delivery.deliveryId);
    }
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
    const event = audit.record(first ? 'response.opened' : 'alert.joined', {
      actor: { id: delivery.source, name: delivery.source, channel: 'system' },
      summary: `${first ? `Response opened${dryRun ? ' (dry run)' : ''}` : 'Alert joined'}: ${delivery.title} (${delivery.status}, ${delivery.alerts.length} alert(s))`,
      outcome: delivery.status,
    });
    // The playbook may say that the alerts clearing ends the response.
    if (!first && playbook?.onResolved === 'close' && !resolved && status.alerts.every((a) => a.status === 'resolved')) {
      resolved = true;
      status.resolution = { actor: { id: delivery.source, name: delivery.source, channel: 'system' }, summary: 'all alerts resolved', at: now() };
      for (const approval of pendingApprovals()) approval.state = 'withdrawn';
      audit.record('response.resolved', { actor: status.resolution.actor, summary: 'All alerts resolved: the playbook closes the response', causedBy: event.eventId });
      if (running) {
        haltedBy = audit.events.at(-1);
        running.scope.cancel();
      }
    }
  };
  setHandler(msg.alertSignal, (raw) => {
    const parsed = alertDeliverySchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', { actor: AUTOMATION, summary: `Malformed alert signal refused: ${describeIssues(parsed.error)}` });
      return;
    }
    onAlert(parsed.data);
  });

  setHandler(msg.statusQuery, () => ({ ...status, timeline: audit.events }));

  const validate = createInputValidators(() => ({ status, playbook }));

  /**
   * Register an update and its same-named signal over one validator and one handler. The signal
   * form records the channel as temporal-ui (its actor is self-declared: signals never come from
   * the gateway) and turns a refusal into an `input.rejected` audit event.
   */
  function handle<I extends { actor: Actor }, R>(
    update: UpdateDefinition<R, [I]>,
    signal: SignalDefinition<[I]>,
    validate: (raw: unknown) => I,
    apply: (input: I) => R,
  ) {
    setHandler(update, (i) => apply(validate(i)), { validator: (i) => void validate(i) });
    setHandler(signal, (raw) => {
      try {
        const valid = validate(raw);
        apply({ ...valid, actor: { ...valid.actor, channel: 'temporal-ui' } });
      } catch (err) {
        audit.record('input.rejected', {
          actor: signalActor(raw),
          summary: `${signal.name} signal refused: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    });
  }

  // decide: approve / reject / object
  handle(msg.decideUpdate, msg.decideSignal, validate.decision, (d) => {
    const approval = status.approvals.find((a) => a.id === d.approvalId)!;
    if (approval.kind === 'objection') {
      approval.decisions.push({ actor: who(d.actor), decision: 'reject', reason: d.reason, at: now() });
      approval.state = 'rejected';
      audit.record('objection.raised', { actor: who(d.actor), reason: d.reason, approvalId: approval.id, stepId: approval.stepId, summary: `${d.actor.name} objected to ${approval.stepId}`, outcome: 'rejected' });
      return approval;
    }
    if (d.inputs && !sameInputs(approval.inputs, { ...approval.inputs, ...d.inputs })) {
      // Earlier yeses were for other values: they lapse, and the request is now about these.
      const lapsed = approval.decisions.filter((x) => x.decision === 'approve').length;
      approval.decisions = [];
      approval.inputs = { ...approval.inputs, ...d.inputs };
      audit.record('approval.adjusted', {
        actor: who(d.actor),
        reason: d.reason,
        approvalId: approval.id,
        stepId: approval.stepId,
        parameters: d.inputs,
        summary: `${d.actor.name} adjusted ${approval.stepId}: ${JSON.stringify(d.inputs)}${lapsed ? ` (${lapsed} earlier approval(s) lapse)` : ''}`,
      });
    }
    approval.decisions.push({ actor: who(d.actor), decision: d.decision, reason: d.reason, at: now(), inputs: d.inputs });
    const granted = approval.decisions.filter((x) => x.decision === 'approve').length;
    if (d.decision === 'reject') approval.state = 'rejected';
    else if (granted >= approval.approversRequired) {
      approval.state = 'approved';
      approval.approvedAt = now();
    }
    audit.record(d.decision === 'reject' ? 'approval.rejected' : 'approval.granted', {
      actor: who(d.actor),
      reason: d.reason,
      approvalId: approval.id,
      stepId: approval.stepId,
      parameters: redactSecrets(approval.inputs) as Record<string, unknown>,
      summary:
        d.decision === 'reject'
          ? `${d.actor.name} rejected ${approval.stepId}`
          : `${d.actor.name} approved ${approval.stepId} (${granted}/${approval.approversRequired})`,
      outcome: approval.state,
    });
    publish();
    return approval;
  });

  // optOut / optIn
  handle(msg.optOutUpdate, msg.optOutSignal, validate.optOut, (o: OptOutInput): OptOutRecord => {
    const same = status.optOuts.find((x) => x.active && JSON.stringify(x.scope) === JSON.stringify(o.scope) && x.mode === o.mode);
    if (same) return same; // idempotent: repeating an opt-out changes nothing
    const record: OptOutRecord = { id: `optout-${status.optOuts.length + 1}`, scope: o.scope, mode: o.mode, actor: who(o.actor), reason: o.reason, at: now(), active: true };
    status.optOuts.push(record);
    const event = audit.record('optout.engaged', {
      actor: record.actor,
      reason: o.reason,
      stepId: o.scope.kind === 'step' ? o.scope.stepId : undefined,
      action: o.scope.kind === 'action' ? o.scope.action : undefined,
      summary: `${o.actor.name} opted out of ${describeScope(o.scope)} (${o.mode})`,
      outcome: o.mode,
    });
    if (o.mode === 'hand-over') {
      status.handover = { owner: record.actor, at: record.at, notes: status.handover?.notes ?? [] };
      audit.record('response.handed-over', { actor: record.actor, reason: o.reason, summary: `Response handed over to ${o.actor.name}`, causedBy: event.eventId });
    }
    for (const approval of pendingApprovals().filter((a) => optOutCovers(o.scope, { stepId: a.stepId, action: stepSpec(a.stepId)?.action ?? '' }))) {
      approval.state = 'withdrawn';
      audit.record('approval.withdrawn', { actor: record.actor, approvalId: approval.id, stepId: approval.stepId, summary: `Request for ${approval.stepId} withdrawn by the opt-out`, causedBy: event.eventId });
    }
    if (running && o.mode !== 'finish-current-step' && optOutCovers(o.scope, running)) {
      haltedBy = event;
      running.scope.cancel();
    }
    publish();
    return record;
  });

  handle(msg.optInUpdate, msg.optInSignal, validate.optIn, (o: OptInInput) => {
    const released = status.optOuts.filter((x) => x.active && (!o.optOutId || x.id === o.optOutId));
    for (const x of released) {
      x.active = false;
      x.released = { actor: who(o.actor), reason: o.reason, at: now() };
      audit.record('optout.released', { actor: who(o.actor), reason: o.reason, summary: `${o.actor.name} released ${x.id} (${describeScope(x.scope)}); automation resumes` });
    }
    if (!responseOptOut()) status.handover = undefined;
    publish();
    return released;
  });

  // override
  handle(msg.overrideUpdate, msg.overrideSignal, validate.override, (o: OverrideInput): OverrideRecord => {
    const record: OverrideRecord = {
      id: `override-${status.overrides.length + 1}`,
      type: o.type,
      stepId: o.stepId,
      tier: o.type === 'require-approval' ? o.tier : undefined,
      inputs: o.type === 'set-inputs' ? o.inputs : undefined,
      actor: who(o.actor),
      reason: o.reason,
      at: now(),
    };
    status.overrides.push(record);
    refreshStepView(stepSpec(o.stepId)!);
    audit.record('override.applied', {
      actor: record.actor,
      reason: o.reason,
      stepId: o.stepId,
      parameters: record.inputs,
      summary: `${o.actor.name} applied ${o.type} to ${o.stepId}`,
      outcome: o.type,
    });
    // A request about other values or a step now skipped must not stand.
    for (const approval of pendingApprovals().filter((a) => a.stepId === o.stepId)) {
      if (o.type === 'skip-step' || o.type === 'set-inputs') {
        approval.state = 'withdrawn';
        audit.record('approval.withdrawn', { actor: record.actor, approvalId: approval.id, stepId: o.stepId, summary: `Request for ${o.stepId} withdrawn by ${o.type} override` });
      }
    }
    publish();
    return record;
  });

  handle(msg.addNoteUpdate, msg.addNoteSignal, validate.note, (n) => {
    const note = { actor: who(n.actor), text: n.text, at: now() };
    if (status.handover) status.handover.notes.push(note);
    audit.record('response.note', { actor: note.actor, reason: n.text, summary: `Note by ${n.actor.name}` });
  });

  handle(msg.resolveUpdate, msg.resolveSignal, validate.resolve, (r) => {
    resolved = true;
    status.resolution = { actor: who(r.actor), summary: r.summary, at: now() };
    for (const approval of pendingApprovals()) approval.state = 'withdrawn';
    audit.record('response.resolved', { actor: who(r.actor), reason: r.summary, summary: `${r.actor.name} resolved the response` });
    if (running) {
      haltedBy = audit.events.at(-1);
      running.scope.cancel();
    }
  });

  setHandler(msg.stopRequestSignal, (raw) => {
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
    stopRequest = { actor: who(parsed.data.actor), reason: parsed.data.reason, event };
  });

  const factsFor = (step: PlaybookStep): GuardrailFacts => ({
    service: status.service,
    environment: status.environment,
    action: step.action,
    severity: status.severity,
    playbook: playbook?.id ?? '',
    labels: status.labels,
    kind: step.kind,
  });

  // A control engaged somewhere reaches this response at once: interrupt what it now forbids.
  setHandler(controlsChangedSignal, (controls: Controls) => {
    if (controls.version <= controlsVersion) return;
    controlsVersion = controls.version;
    if (!running) return;
    const step = stepSpec(running.stepId);
    if (!step) return;
    const verdict = evaluateControls(controls, factsFor(step), Date.now());
    if (verdict.blockers.length === 0) return;
    haltedBy = audit.record('guardrail.halted', { actor: AUTOMATION, stepId: step.id, action: step.action, summary: `${step.id} interrupted: ${verdict.blockers.join('; ')}` });
    running.scope.cancel();
  });

  audit.start();

  // ---- Running steps. ----

  /** Run one action as an activity in its own scope, so an opt-out can interrupt just it. */
  const runStep = async (step: PlaybookStep, view: StepStatus, causedBy?: string, consentTier?: string): Promise<'done' | 'stopped-by-guardrail'> => {
    const isMitigation = step.kind === 'mitigation';
    const action = renderedAction(step, view.inputs);
    const parameters = redactSecrets(action.params) as Record<string, unknown>;
    view.startedAt = now();
    stepsRun.push(step.id);
    if (isMitigation && dryRun) {
      setStepState(view, 'simulated', 'dry run: not executed');
      view.endedAt = view.startedAt;
      audit.record('mitigation.simulated', { actor: AUTOMATION, stepId: step.id, action: step.action, parameters, summary: `Dry run: would have run ${step.id} (${step.action})`, causedBy });
      return 'done';
    }
    setStepState(view, 'running');
    const started = audit.record(isMitigation ? 'mitigation.started' : 'step.started', {
      actor: AUTOMATION,
      stepId: step.id,
      action: step.action,
      parameters,
      summary: `${step.kind} ${step.id} started (${step.action})`,
      causedBy,
    });
    const scope = new CancellationScope();
    running = { stepId: step.id, action: step.action, scope };
    haltedBy = undefined;
    try {
      const result = await scope.run(() => actionRunner(step.kind, action)({ incidentId: input.incidentId, stepId: step.id, kind: step.kind, guard: factsFor(step), consentTier, ...action }));
      view.output = result;
      setStepState(view, 'succeeded');
      if (isMitigation && step.compensation) compensations.push({ stepId: step.id, action: renderedAction(step.compensation, view.inputs) });
      audit.record(isMitigation ? 'mitigation.succeeded' : 'step.succeeded', {
        actor: AUTOMATION,
        stepId: step.id,
        action: step.action,
        summary: `${step.kind} ${step.id} succeeded`,
        outcome: 'succeeded',
        causedBy: started.eventId,
      });
      return 'done';
    } catch (err) {
      view.error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      const haltedByGuardrail = (haltedBy as AuditEvent | undefined)?.type === 'guardrail.halted';
      const guardrailFailure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      if (guardrailFailure?.type === 'BlockedByGuardrail') {
        audit.record('mitigation.blocked', { actor: AUTOMATION, stepId: step.id, action: step.action, summary: `${step.id} refused at start: ${guardrailFailure.message}`, causedBy: started.eventId });
        return 'stopped-by-guardrail';
      }
      if (guardrailFailure?.type === 'InterruptedByGuardrail') {
        // The worker stopped it in-process, possibly before this response's own signal arrived.
        const halted =
          (haltedBy as AuditEvent | undefined)?.type === 'guardrail.halted'
            ? haltedBy!
            : audit.record('guardrail.halted', { actor: AUTOMATION, stepId: step.id, action: step.action, summary: `${step.id} interrupted: ${guardrailFailure.message}` });
        setStepState(view, 'cancelled', halted.summary);
        audit.record('mitigation.cancelled', { actor: AUTOMATION, stepId: step.id, action: step.action, summary: `${step.kind} ${step.id} interrupted`, outcome: 'cancelled', causedBy: halted.eventId });
        return 'stopped-by-guardrail';
      }
      if (isCancellation(err)) {
        const cause = haltedBy ?? stopRequest?.event;
        setStepState(view, 'cancelled', cause?.summary);
        audit.record(isMitigation ? 'mitigation.cancelled' : 'step.failed', {
          actor: cause?.actor ?? AUTOMATION,
          stepId: step.id,
          action: step.action,
          summary: `${step.kind} ${step.id} interrupted${haltedBy ? '' : ' by the emergency stop'}`,
          outcome: 'cancelled',
          causedBy: cause?.eventId ?? started.eventId,
        });
        // An opt-out cancelled only this step's scope; a workflow cancel must keep unwinding.
        if (CancellationScope.current().consideredCancelled) throw err;
        if (haltedByGuardrail) return 'stopped-by-guardrail';
      } else {
        setStepState(view, 'failed', view.error);
        audit.record(isMitigation ? 'mitigation.failed' : 'step.failed', {
          actor: AUTOMATION,
          stepId: step.id,
          action: step.action,
          summary: `${step.kind} ${step.id} failed: ${view.error}`,
          outcome: 'failed',
          causedBy: started.eventId,
        });
      }
    } finally {
      running = undefined;
      view.endedAt = now();
    }
    return 'done';
  };

  const notify = async (text: string) => {
    // Best effort: a notification that cannot be sent must not stall the response.
    try {
      await sendNotification({ incidentId: input.incidentId, workflowId, text });
    } catch {
      audit.record('input.rejected', { actor: AUTOMATION, summary: `Notification could not be sent: ${text.slice(0, 200)}` });
    }
  };

  /** Open an approval request (or objection window) and wait for its outcome. */
  const requestConsent = async (step: PlaybookStep, view: StepStatus, decision: ConsentDecision, source: string): Promise<ApprovalRequest> => {
    const objection = decision.mode === 'auto-after-objection-window';
    const { levels, perLevelMs } = consentLevels(decision);
    const approval = newApprovalRequest({ incidentId: input.incidentId, status, playbook, step, view, decision, source, dryRun, nowMs: Date.now() });
    status.approvals.push(approval);
    setStepState(view, objection ? 'objection-window' : 'awaiting-approval');
    audit.record(objection ? 'objection.window-opened' : 'approval.requested', {
      actor: AUTOMATION,
      stepId: step.id,
      approvalId: approval.id,
      action: step.action,
      parameters: view.params,
      summary: objection
        ? `${step.id} will run at ${approval.expiresAt} unless someone objects`
        : `Approval requested for ${step.id} from tier ${approval.tier} (${approval.approversRequired} approver(s), until ${approval.expiresAt})`,
    });
    setPhase(objection ? 'objection-window' : 'awaiting-approval');
    await notify(`${status.title}: ${objection ? `${step.id} runs at ${approval.expiresAt} unless someone objects` : `approval needed for ${step.id} from ${approval.tier}`} (${approval.id})`);

    for (let level = 0; level < levels.length; level++) {
      if (level > 0) {
        approval.tier = levels[level]!;
        approval.tiers.push(levels[level]!);
        approval.escalationLevel = level;
        approval.expiresAt = new Date(Date.now() + perLevelMs).toISOString();
        audit.record('approval.escalated', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `No answer in time: ${approval.id} escalated to tier ${approval.tier} (until ${approval.expiresAt})` });
        publish();
        await notify(`${status.title}: approval for ${step.id} escalated to ${approval.tier} (${approval.id})`);
      }
      const deadline = Date.parse(approval.expiresAt);
      const remindAfter = !objection && decision.remindAfter !== undefined && decision.remindAfter < perLevelMs ? decision.remindAfter : undefined;
      if (remindAfter !== undefined && !(await condition(() => approval.state !== 'pending', remindAfter))) {
        audit.record('approval.reminded', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `Reminder sent to tier ${approval.tier} for ${approval.id}` });
        await notify(`${status.title}: reminder, approval for ${step.id} still needed from ${approval.tier} (${approval.id})`);
      }
      if (await condition(() => approval.state !== 'pending', Math.max(0, deadline - Date.now()))) break;
    }
    if (approval.state === 'pending') {
      if (objection) {
        approval.state = 'approved';
        approval.approvedAt = now();
        approval.validUntil = approval.approvedAt;
        audit.record('objection.window-passed', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `No objection to ${step.id}: it runs now`, outcome: 'approved' });
      } else {
        approval.state = 'expired';
        audit.record('approval.expired', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `Nobody approved ${step.id} in time; it will not run (fail closed)`, outcome: 'expired' });
      }
    }
    if (approval.state === 'approved' && !objection) {
      approval.validUntil = new Date(Date.parse(approval.approvedAt!) + (decision as ApprovalPolicy).validFor).toISOString();
    }
    publish();
    return approval;
  };

  /** The policy for a mitigation, on the facts as they are at this moment. */
  const policyFor = (step: PlaybookStep, guardrail?: { tier: string; source: string }) => {
    const override = [...status.overrides].reverse().find((o) => o.type === 'require-approval' && o.stepId === step.id);
    // A guardrail's tier wins over a responder's override: the start checks insist on it, so
    // asking any other tier would only be voided and asked again.
    const requireApproval = guardrail ? { tier: guardrail.tier, source: guardrail.source } : override ? { tier: override.tier ?? 'tier1', source: 'per-incident override' } : undefined;
    return decidePolicy(
      policy!,
      { risk: step.risk, action: step.action, service: status.service, environment: status.environment, severity: status.severity, labels: status.labels },
      step.policy,
      requireApproval ? { mode: 'approval', tier: requireApproval.tier, approvers: 1, timeout: 15 * 60_000, escalation: [], validFor: 10 * 60_000, onTimeout: 'reject' } : undefined,
      requireApproval?.source,
    );
  };

  /**
   * Wait while a guardrail (kill switch, pause, blocking rule or freeze) forbids this step.
   * Returns the verdict once nothing blocks, or undefined when something else changed meanwhile
   * (an opt-out, an override, a resolution) and the caller must look again.
   */
  const awaitClearance = async (step: PlaybookStep, view: StepStatus) => {
    let reported = '';
    for (;;) {
      const verdict = await checkGuardrails(factsFor(step));
      if (verdict.blockers.length === 0) {
        if (status.blockedBy) {
          status.blockedBy = undefined;
          publish();
        }
        return verdict;
      }
      const reason = verdict.blockers.join('; ');
      if (reason !== reported) {
        reported = reason;
        status.blockedBy = verdict.blockers;
        view.note = `blocked: ${reason}`;
        audit.record('mitigation.blocked', { actor: AUTOMATION, stepId: step.id, summary: `${step.id} waits: ${reason}` });
        setPhase('blocked');
      }
      const seen = controlsVersion;
      const optOuts = status.optOuts.filter((o) => o.active).length;
      const overrides = status.overrides.length;
      await condition(() => controlsVersion !== seen || resolved || status.optOuts.filter((o) => o.active).length !== optOuts || status.overrides.length !== overrides, GUARDRAIL_RECHECK);
      if (resolved || status.optOuts.filter((o) => o.active).length !== optOuts || status.overrides.length !== overrides) return undefined;
    }
  };

  /** Drive one mitigation: policy, consent, the safety check, then run. */
  const mitigate = async (step: PlaybookStep, view: StepStatus): Promise<void> => {
    for (;;) {
      if (resolved) return;
      const optOut = status.optOuts.find((o) => o.active && o.scope.kind !== 'response' && optOutCovers(o.scope, { stepId: step.id, action: step.action }));
      if (optOut) return setStepState(view, 'skipped', `opted out by ${optOut.actor.name}: ${optOut.reason}`);
      if (status.overrides.some((o) => o.type === 'skip-step' && o.stepId === step.id)) return setStepState(view, 'skipped', 'skipped by override');
      if (responseOptOut()) await waitWhileOptedOut();
      if (resolved) return;

      const verdict = await awaitClearance(step, view);
      if (!verdict) continue; // something changed while blocked: look at everything again
      if (verdict.manualOnly) return setStepState(view, 'manual-only', verdict.manualOnly);

      const { decision, source } = policyFor(step, verdict.requireApproval);
      view.policy = { mode: decision.mode, source };
      audit.record('policy.decided', { actor: AUTOMATION, stepId: step.id, summary: `${step.id}: ${decision.mode} (${source})`, outcome: decision.mode });
      if (decision.mode === 'manual-only') return setStepState(view, 'manual-only', `${source}: manual only`);

      let approval: ApprovalRequest | undefined;
      // Consent given while a guardrail held the step still stands once it lifts, if still valid
      // and for the same inputs ("responses continue from where they were").
      const standing = status.approvals.findLast((a) => a.stepId === step.id && a.state === 'approved' && a.kind === 'approval');
      if (decision.mode === 'approval' && standing?.validUntil && Date.now() < Date.parse(standing.validUntil)) approval = standing;
      else if (decision.mode !== 'auto') {
        approval = await requestConsent(step, view, decision, source);
        if (approval.state === 'withdrawn') continue; // an opt-out or override intervened: decide again
        if (approval.state !== 'approved') {
          setStepState(view, approval.state === 'rejected' ? 'rejected' : 'expired', `${approval.kind} ${approval.state}`);
          audit.record('step.skipped', { actor: AUTOMATION, stepId: step.id, summary: `${step.id} skipped: ${approval.kind} ${approval.state}`, outcome: approval.state });
          return;
        }
      }

      // The safety rule, evaluated in the same activation that schedules the activity.
      view.inputs = currentInputs(step);
      if (approval) view.inputs = { ...view.inputs, ...approval.inputs };
      // The controls, read fresh: a kill switch engaged while this waited must still stop it.
      const fresh = await checkGuardrails(factsFor(step));
      // A manual-only rule, or a freeze or rule demanding another tier's approval, added since
      // this step was decided: the consent it has no longer suffices.
      const consentTier = approval?.kind === 'approval' ? approval.tier : undefined;
      const missing = fresh.blockers.length === 0 ? missingGuardrailConsent(fresh, consentTier) : undefined;
      if (missing) {
        audit.record('mitigation.blocked', { actor: AUTOMATION, stepId: step.id, summary: `${step.id} not started: ${missing}` });
        if (approval?.state === 'approved') {
          approval.state = 'void';
          audit.record('approval.voided', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `${approval.id} is void: ${missing}; deciding again` });
        }
        continue; // decided again from the top, on the controls as they are now
      }
      const blocker = mitigationBlocker({
        candidate: { stepId: step.id, action: step.action, inputs: view.inputs },
        decision,
        approval,
        optOuts: status.optOuts,
        overrides: status.overrides,
        external: fresh.blockers,
        nowMs: Date.now(),
      });
      if (blocker) {
        audit.record('mitigation.blocked', { actor: AUTOMATION, stepId: step.id, summary: `${step.id} not started: ${blocker}` });
        if (approval && blocker.startsWith('approval-void')) {
          approval.state = 'void';
          audit.record('approval.voided', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `${approval.id} is void (${blocker}); asking again` });
          continue; // asks again (and waits): no busy loop
        }
        if (responseOptOut() || fresh.blockers.length) continue; // the top of the loop waits (opt-in, or the control lifted)
        // Anything else that blocks is final for this step: fail closed.
        return setStepState(view, 'skipped', blocker);
      }
      const grant = approval ? audit.events.findLast((e) => e.approvalId === approval.id && (e.type === 'approval.granted' || e.type === 'objection.window-passed')) : undefined;
      setPhase('mitigating');
      const outcome = await runStep(step, view, grant?.eventId, consentTier);
      if (outcome === 'stopped-by-guardrail') {
        // Interrupted or refused at start by a control: once it lifts, the step is decided
        // again from the start, and any approval it had does not carry over.
        if (approval && approval.state === 'approved') {
          approval.state = 'void';
          audit.record('approval.voided', { actor: AUTOMATION, stepId: step.id, approvalId: approval.id, summary: `${approval.id} is void: a guardrail stopped ${step.id}; it will be asked again` });
        }
        setStepState(view, 'pending', 'stopped by a guardrail');
        continue;
      }
      return;
    }
  };

  /** While the whole response is opted out (or handed over), run nothing; wait for optIn or resolve. */
  const waitWhileOptedOut = async () => {
    const optOut = responseOptOut();
    if (!optOut) return;
    setPhase(optOut.mode === 'hand-over' ? 'handed-over' : 'opted-out');
    await condition(() => !responseOptOut() || resolved);
  };

  try {
    await condition(() => status.deliveries > 0);
    const selection = await selectPlaybook(status.labels);
    if (!selection) {
      audit.record('playbook.missing', { actor: AUTOMATION, summary: 'No playbook matches these alerts; nothing is automated' });
      setPhase('no-playbook');
    } else {
      playbook = selection.playbook;
      policy = selection.policy;
      status.playbook = { id: playbook.id, version: playbook.version };
      status.steps = playbook.steps.map((s) => ({ id: s.id, kind: s.kind, action: s.action, title: s.title, impact: s.impact, risk: s.risk, inputs: {}, params: {}, state: 'pending', history: [] }));
      playbook.steps.forEach(refreshStepView);
      audit.record('playbook.selected', { actor: AUTOMATION, summary: `Playbook ${playbook.id} v${playbook.version} selected` });

      for (const step of playbook.steps) {
        const view = stepStatus(step.id)!;
        if (responseOptOut()) await waitWhileOptedOut();
        if (resolved) break;
        if (step.kind === 'mitigation') {
          await mitigate(step, view);
          continue;
        }
        const optOut = status.optOuts.find((o) => o.active && optOutCovers(o.scope, { stepId: step.id, action: step.action }));
        if (optOut) {
          setStepState(view, 'skipped', `opted out by ${optOut.actor.name}: ${optOut.reason}`);
          continue;
        }
        if (status.overrides.some((o) => o.type === 'skip-step' && o.stepId === step.id)) {
          setStepState(view, 'skipped', 'skipped by override');
          continue;
        }
        view.inputs = currentInputs(step);
        // Diagnostics wait only for a kill switch that does not allow them.
        while (!resolved && !responseOptOut() && !(await awaitClearance(step, view)));
        if (resolved) break;
        if (responseOptOut()) await waitWhileOptedOut();
        setPhase(PHASE_FOR_KIND[step.kind] ?? 'diagnosing');
        await runStep(step, view);
      }
      // A halt that came during the last step still leaves the response open until released.
      if (!resolved && responseOptOut()) await waitWhileOptedOut();
      for (const view of status.steps.filter((s) => UNFINISHED.has(s.state))) setStepState(view, 'skipped', resolved ? 'response resolved' : undefined);
      setPhase(resolved ? 'resolved' : 'completed');
    }
    audit.record('response.completed', { actor: AUTOMATION, summary: `Response ended: ${status.phase}`, outcome: status.phase });
    await condition(allHandlersFinished);
    await audit.flush();
    return { phase: status.phase, stepsRun };
  } catch (err) {
    if (isCancellation(err)) {
      // Catching a cancellation and returning would end COMPLETED: clean up, then rethrow.
      await CancellationScope.nonCancellable(async () => {
        for (const view of status.steps.filter((s) => UNFINISHED.has(s.state))) setStepState(view, 'skipped', 'emergency stop');
        for (const approval of pendingApprovals()) approval.state = 'withdrawn';
        setPhase('cancelled');
        const cancelled = audit.record('response.cancelled', {
          actor: stopRequest?.actor ?? { id: 'unknown', name: 'Temporal cancel request', channel: 'temporal-ui' },
          reason: stopRequest?.reason,
          summary: 'Response cancelled (emergency stop)',
          outcome: 'cancelled',
          causedBy: stopRequest?.event.eventId,
        });
        await compensate(cancelled);
        await audit.flush();
      });
    }
    throw err;
  }

  /** Saga: undo succeeded mitigations newest-first. Runs only in a non-cancellable scope. */
  async function compensate(cause: AuditEvent): Promise<void> {
    for (const c of [...compensations].reverse()) {
      if (dryRun) {
        audit.record('mitigation.simulated', { actor: AUTOMATION, stepId: c.stepId, action: c.action.action, summary: `Dry run: would have compensated ${c.stepId}`, causedBy: cause.eventId });
        continue;
      }
      try {
        await actionRunner('mitigation', c.action)({ incidentId: input.incidentId, stepId: `${c.stepId}:compensation`, kind: 'compensation', ...c.action });
        audit.record('mitigation.compensated', { actor: AUTOMATION, stepId: c.stepId, action: c.action.action, parameters: redactSecrets(c.action.params) as Record<string, unknown>, summary: `Compensation for ${c.stepId} ran`, causedBy: cause.eventId });
      } catch (err) {
        audit.record('mitigation.compensation-failed', { actor: AUTOMATION, stepId: c.stepId, action: c.action.action, summary: `Compensation for ${c.stepId} failed: ${err instanceof Error ? err.message : String(err)}`, causedBy: cause.eventId });
      }
    }
  }
}

function describeScope(scope: OptOutRecord['scope']): string {
  return scope.kind === 'response' ? 'the whole response' : scope.kind === 'step' ? `step ${scope.stepId}` : `action ${scope.action}`;
}

/** Best-effort attribution of a malformed signal; it is recorded, never trusted. */
function signalActor(raw: unknown): ActorRef {
  const actor = (raw as { actor?: Partial<Actor> } | null)?.actor;
  return {
    id: typeof actor?.id === 'string' ? actor.id : 'unknown',
    name: typeof actor?.name === 'string' ? actor.name : 'unknown',
    channel: 'temporal-ui',
  };
}
