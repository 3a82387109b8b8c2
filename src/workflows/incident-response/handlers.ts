import { patched, setHandler } from '@temporalio/workflow';
import * as msg from '../../contracts/incident-response.js';
import { controlsChangedSignal } from '../../contracts/guardrails.js';
import { redactSecrets } from '../../domain/audit/event.js';
import { evaluateControls } from '../../domain/guardrails/controls.js';
import { controlsSchema } from '../../domain/guardrails/controls-schema.js';
import { alertDeliverySchema } from '../../domain/incident/alert.js';
import {
  describeIssues,
  stopRequestSchema,
  type OptInInput,
  type OptOutInput,
  type OverrideInput,
} from '../../domain/response/inputs.js';
import { CARRY, pageTimeline, trimStatus } from '../../domain/response/long-lived.js';
import { sameInputs } from '../../domain/response/safety.js';
import type { OptOutRecord, OverrideRecord } from '../../domain/response/status.js';
import { onAlert } from './alerts.js';
import { createInputValidators } from './input-validation.js';
import { channelOf, inputGate, signalActor } from './input-gate.js';
import { checkActor, withoutAttestation } from '../shared/verification.js';
import { queueNotification } from './notify.js';
import { rememberDecisionTrace } from './decision-trace.js';
import { applyOptOut } from './opt-out.js';
import { settle } from './unknown-effect.js';
import { AUTOMATION, describeScope, now, who, type ResponseContext } from './state.js';

/**
 * Every signal, update and query of a response. Registered before the workflow's first await,
 * so no early input is lost. Handlers change state and interrupt what they must; they never
 * wait: the main line reacts to what they changed.
 */
export function registerHandlers(ctx: ResponseContext): void {
  const { status, audit } = ctx;
  const validate = createInputValidators(() => ({ status, playbook: ctx.playbook }));
  const handle = inputGate(ctx);

  setHandler(msg.alertSignal, (raw) => {
    const parsed = alertDeliverySchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', {
        actor: AUTOMATION,
        summary: `Malformed alert signal refused: ${describeIssues(parsed.error)}`,
      });
      return;
    }
    onAlert(ctx, parsed.data);
  });

  // One page of the timeline, and no list that only grows: the answer stays small however long
  // the response lives (older events are in the audit trail, GET /v1/incidents/:id/timeline).
  setHandler(msg.statusQuery, (args) => {
    const { events, page } = pageTimeline(audit.events, audit.position.sequence, args);
    const { handover, optOuts } = trimStatus(status);
    return {
      ...status,
      optOuts,
      handover,
      timeline: events,
      timelinePage: page,
      ...(ctx.runs ? { runs: ctx.runs } : {}),
    };
  });

  handle(msg.decideUpdate, msg.decideSignal, validate.decision, (d) => {
    const approval = status.approvals.find((a) => a.id === d.approvalId)!;
    if (approval.kind === 'objection') {
      approval.decisions.push({ actor: who(d.actor), decision: 'reject', reason: d.reason, at: now() });
      approval.state = 'rejected';
      audit.record('objection.raised', {
        actor: who(d.actor),
        reason: d.reason,
        approvalId: approval.id,
        stepId: approval.stepId,
        summary: `${d.actor.name} objected to ${approval.stepId}`,
        outcome: 'rejected',
      });
      queueNotification(ctx, 'approval.decided', approval, { actor: who(d.actor), reason: d.reason });
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
    approval.decisions.push({
      actor: who(d.actor),
      decision: d.decision,
      reason: d.reason,
      at: now(),
      inputs: d.inputs,
    });
    const granted = approval.decisions.filter((x) => x.decision === 'approve').length;
    if (d.decision === 'reject') approval.state = 'rejected';
    else if (granted >= approval.approversRequired) {
      approval.state = 'approved';
      approval.approvedAt = now();
      rememberDecisionTrace(ctx, approval.id);
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
    // Every channel that showed the request learns it is decided (a quorum still open is not).
    if (approval.state !== 'pending')
      queueNotification(ctx, 'approval.decided', approval, { actor: who(d.actor), reason: d.reason });
    // A quorum still open: the messages showing it are refreshed (newer responses only).
    else if (ctx.recordsDeliveries)
      queueNotification(ctx, 'approval.progressed', approval, { actor: who(d.actor), reason: d.reason });
    ctx.publish();
    return approval;
  });

  handle(msg.optOutUpdate, msg.optOutSignal, validate.optOut, (o: OptOutInput): OptOutRecord => applyOptOut(ctx, o));

  handle(msg.optInUpdate, msg.optInSignal, validate.optIn, (o: OptInInput) => {
    const released = status.optOuts.filter((x) => x.active && (!o.optOutId || x.id === o.optOutId));
    for (const x of released) {
      x.active = false;
      x.released = { actor: who(o.actor), reason: o.reason, at: now() };
      audit.record('optout.released', {
        actor: who(o.actor),
        reason: o.reason,
        summary: `${o.actor.name} released ${x.id} (${describeScope(x.scope)}); automation resumes`,
      });
    }
    if (!ctx.responseOptOut()) status.handover = undefined;
    ctx.publish();
    return released;
  });

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
    ctx.refreshStepView(ctx.stepSpec(o.stepId)!);
    audit.record('override.applied', {
      actor: record.actor,
      reason: o.reason,
      stepId: o.stepId,
      parameters: record.inputs,
      summary: `${o.actor.name} applied ${o.type} to ${o.stepId}`,
      outcome: o.type,
    });
    // A request about other values or a step now skipped must not stand.
    if (o.type === 'skip-step' || o.type === 'set-inputs') {
      for (const approval of ctx.pendingApprovals().filter((a) => a.stepId === o.stepId)) {
        approval.state = 'withdrawn';
        audit.record('approval.withdrawn', {
          actor: record.actor,
          approvalId: approval.id,
          stepId: o.stepId,
          summary: `Request for ${o.stepId} withdrawn by ${o.type} override`,
        });
      }
    }
    ctx.publish();
    return record;
  });

  handle(msg.settleMitigationUpdate, msg.settleMitigationSignal, validate.settle, (s) => settle(ctx, s));

  handle(msg.addNoteUpdate, msg.addNoteSignal, validate.note, (n) => {
    const note = { actor: who(n.actor), text: n.text, at: now() };
    if (status.handover) {
      status.handover.notesTotal = (status.handover.notesTotal ?? status.handover.notes.length) + 1;
      status.handover.notes.push(note);
      // Every note is in the audit trail: the handover keeps the newest (the status stays small).
      if (status.handover.notes.length > CARRY.notes * 2) status.handover.notes.splice(0, CARRY.notes);
    }
    audit.record('response.note', { actor: note.actor, reason: n.text, summary: `Note by ${n.actor.name}` });
  });

  handle(msg.resolveUpdate, msg.resolveSignal, validate.resolve, (r) => {
    ctx.resolveResponse(who(r.actor), r.summary, {
      reason: r.summary,
      summary: `${r.actor.name} resolved the response`,
    });
  });

  setHandler(msg.stopRequestSignal, (raw) => {
    const parsed = stopRequestSchema.safeParse(withoutAttestation(raw));
    if (!parsed.success) {
      audit.record('input.rejected', {
        actor: signalActor(raw),
        summary: `Stop request refused: ${describeIssues(parsed.error)}`,
      });
      return;
    }
    // Stopping is open: a signed request is recorded as verified, any other as declared.
    const checked = checkActor(
      ctx.trust,
      ctx.nonces,
      { workflowId: ctx.workflowId, input: msg.stopRequestSignal.name },
      raw,
      Date.now(),
    );
    const actor = who(checked ? { ...parsed.data.actor, ...checked.actor } : parsed.data.actor);
    const event = audit.record('response.stop-requested', {
      actor,
      reason: parsed.data.reason,
      summary: `${actor.name} requested an emergency stop`,
    });
    ctx.stopRequest = { actor, reason: parsed.data.reason, event };
  });

  // The gateway refused an input (role, tier, team, signature): auditors must find the attempt.
  setHandler(msg.refusedInputSignal, (raw) => {
    const r = raw as { actor?: unknown; input?: unknown; reason?: unknown } | null;
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 500) : 'unknown');
    audit.record('input.rejected', {
      actor: { ...signalActor(r), channel: channelOf(r?.actor) },
      summary: `${text((r?.actor as { name?: unknown } | undefined)?.name)}'s ${text(r?.input)} refused: ${text(r?.reason)}`,
    });
  });

  // A control engaged somewhere reaches this response at once: interrupt what it now forbids.
  setHandler(controlsChangedSignal, (raw: unknown) => {
    const parsed = controlsSchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', {
        actor: signalActor(raw),
        summary: `Malformed controls broadcast refused: ${describeIssues(parsed.error)}`,
      });
      return;
    }
    const controls = parsed.data;
    // Anyone with Temporal access can send this signal, so its version cannot be trusted: a
    // forged high one would make the response ignore every real broadcast after it. Stopping
    // is open, so any well-formed broadcast may interrupt; the version only wakes rechecks,
    // which read the real controls through an activity.
    if (patched('controls-broadcast-untrusted-version')) ctx.controlsVersion += 1;
    else {
      if (controls.version <= ctx.controlsVersion) return;
      ctx.controlsVersion = controls.version;
    }
    const step = ctx.running && ctx.stepSpec(ctx.running.stepId);
    if (!step) return;
    const verdict = evaluateControls(controls, ctx.factsFor(step), Date.now());
    if (verdict.blockers.length === 0) return;
    ctx.interruptRunning(
      audit.record('guardrail.halted', {
        actor: AUTOMATION,
        stepId: step.id,
        action: step.action,
        summary: `${step.id} interrupted: ${verdict.blockers.join('; ')}`,
      }),
    );
  });
}
