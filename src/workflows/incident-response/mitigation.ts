import { missingGuardrailConsent } from '../../domain/guardrails/controls.js';
import type { PlaybookStep } from '../../domain/playbook/playbook.js';
import { decidePolicy } from '../../domain/policy/policy.js';
import { mitigationBlocker, optOutCovers } from '../../domain/response/safety.js';
import type { ApprovalRequest, StepStatus } from '../../domain/response/status.js';
import { checkGuardrails } from './activities.js';
import { requestConsent } from './consent.js';
import { AUTOMATION, type ResponseContext } from './state.js';
import { runStep } from './step-runner.js';
import { inDecisionTrace } from './decision-trace.js';
import { awaitHumanVerdict, openUnknownEffect } from './unknown-effect.js';

/** While blocked by a guardrail, look again at least this often (a broadcast wakes it sooner). */
const GUARDRAIL_RECHECK = '10s';

/** The policy for a mitigation, on the facts as they are at this moment. */
function policyFor(ctx: ResponseContext, step: PlaybookStep, guardrail?: { tier: string; source: string }) {
  const { status } = ctx;
  const override = [...status.overrides].reverse().find((o) => o.type === 'require-approval' && o.stepId === step.id);
  // A guardrail's tier wins over a responder's override: the start checks insist on it, so
  // asking any other tier would only be voided and asked again.
  const requireApproval = guardrail
    ? { tier: guardrail.tier, source: guardrail.source }
    : override
      ? { tier: override.tier ?? 'tier1', source: 'per-incident override' }
      : undefined;
  return decidePolicy(
    ctx.policy!,
    {
      risk: step.risk,
      action: step.action,
      service: status.service,
      environment: status.environment,
      severity: status.severity,
      labels: status.labels,
    },
    step.policy,
    requireApproval
      ? {
          mode: 'approval',
          tier: requireApproval.tier,
          approvers: 1,
          timeout: 15 * 60_000,
          escalation: [],
          validFor: 10 * 60_000,
          onTimeout: 'reject',
        }
      : undefined,
    requireApproval?.source,
  );
}

/**
 * Wait while a guardrail (kill switch, pause, blocking rule or freeze) forbids this step.
 * Returns the verdict once nothing blocks, or undefined when something else changed meanwhile
 * (an opt-out, an override, a resolution) and the caller must look again.
 */
export async function awaitClearance(ctx: ResponseContext, step: PlaybookStep, view: StepStatus) {
  const { status } = ctx;
  let reported = '';
  for (;;) {
    const verdict = await checkGuardrails(ctx.factsFor(step));
    if (verdict.blockers.length === 0) {
      if (status.blockedBy) {
        status.blockedBy = undefined;
        ctx.publish();
      }
      return verdict;
    }
    const reason = verdict.blockers.join('; ');
    if (reason !== reported) {
      reported = reason;
      status.blockedBy = verdict.blockers;
      view.note = `blocked: ${reason}`;
      ctx.audit.record('mitigation.blocked', {
        actor: AUTOMATION,
        stepId: step.id,
        summary: `${step.id} waits: ${reason}`,
      });
      ctx.setPhase('blocked');
    }
    const seen = ctx.controlsVersion;
    const optOuts = ctx.activeOptOutCount();
    const overrides = status.overrides.length;
    const otherChange = () =>
      ctx.resolved || ctx.activeOptOutCount() !== optOuts || status.overrides.length !== overrides;
    // A rest: a response held for days by a freeze continues as new meanwhile (continuation.ts).
    await ctx.rest(
      () => ctx.controlsVersion !== seen || otherChange(),
      GUARDRAIL_RECHECK,
      `recheck guardrails for ${step.id}`,
    );
    if (otherChange()) return undefined;
  }
}

/** While the whole response is opted out (or handed over), run nothing; wait for optIn or resolve. */
export async function waitWhileOptedOut(ctx: ResponseContext): Promise<void> {
  const optOut = ctx.responseOptOut();
  if (!optOut) return;
  ctx.setPhase(optOut.mode === 'hand-over' ? 'handed-over' : 'opted-out');
  await ctx.rest(() => !ctx.responseOptOut() || ctx.resolved);
}

/** A consent that no longer holds: recorded as void, so the step is decided (and asked) again. */
function voidApproval(ctx: ResponseContext, approval: ApprovalRequest, summary: string): void {
  approval.state = 'void';
  ctx.audit.record('approval.voided', { actor: AUTOMATION, stepId: approval.stepId, approvalId: approval.id, summary });
}

/**
 * Drive one mitigation: opt-outs and overrides, guardrails, policy, consent, then the safety
 * rule right before the activity is scheduled, and run. Anything that changes while it waits
 * sends it back to the top, so every decision is taken on the facts as they are now.
 */
export async function mitigate(ctx: ResponseContext, step: PlaybookStep, view: StepStatus): Promise<void> {
  const { status, audit } = ctx;
  for (;;) {
    if (ctx.resolved) return;
    const optOut = status.optOuts.find(
      (o) => o.active && o.scope.kind !== 'response' && optOutCovers(o.scope, { stepId: step.id, action: step.action }),
    );
    if (optOut) return ctx.setStepState(view, 'skipped', `opted out by ${optOut.actor.name}: ${optOut.reason}`);
    if (status.overrides.some((o) => o.type === 'skip-step' && o.stepId === step.id))
      return ctx.setStepState(view, 'skipped', 'skipped by override');
    if (ctx.responseOptOut()) await waitWhileOptedOut(ctx);
    if (ctx.resolved) return;

    const verdict = await awaitClearance(ctx, step, view);
    if (!verdict) continue; // something changed while blocked: look at everything again
    if (verdict.manualOnly) return ctx.setStepState(view, 'manual-only', verdict.manualOnly);

    const { decision, source } = policyFor(ctx, step, verdict.requireApproval);
    view.policy = { mode: decision.mode, source };
    audit.record('policy.decided', {
      actor: AUTOMATION,
      stepId: step.id,
      summary: `${step.id}: ${decision.mode} (${source})`,
      outcome: decision.mode,
    });
    if (decision.mode === 'manual-only') return ctx.setStepState(view, 'manual-only', `${source}: manual only`);

    let approval: ApprovalRequest | undefined;
    // Consent given while a guardrail held the step still stands once it lifts, if still valid
    // and for the same inputs ("responses continue from where they were").
    const standing = status.approvals.findLast(
      (a) => a.stepId === step.id && a.state === 'approved' && a.kind === 'approval',
    );
    if (decision.mode === 'approval' && standing?.validUntil && Date.now() < Date.parse(standing.validUntil))
      approval = standing;
    else if (decision.mode !== 'auto') {
      approval = await requestConsent(ctx, step, view, decision, source);
      if (approval.state === 'withdrawn') continue; // an opt-out or override intervened: decide again
      if (approval.state !== 'approved') {
        ctx.setStepState(
          view,
          approval.state === 'rejected' ? 'rejected' : 'expired',
          `${approval.kind} ${approval.state}`,
        );
        audit.record('step.skipped', {
          actor: AUTOMATION,
          stepId: step.id,
          summary: `${step.id} skipped: ${approval.kind} ${approval.state}`,
          outcome: approval.state,
        });
        return;
      }
    }

    // The safety rule, evaluated in the same activation that schedules the activity.
    view.inputs = ctx.currentInputs(step);
    if (approval) view.inputs = { ...view.inputs, ...approval.inputs };
    // The controls, read fresh: a kill switch engaged while this waited must still stop it.
    const fresh = await checkGuardrails(ctx.factsFor(step));
    // A manual-only rule, or a freeze or rule demanding another tier's approval, added since
    // this step was decided: the consent it has no longer suffices.
    const consentTier = approval?.kind === 'approval' ? approval.tier : undefined;
    const missing = fresh.blockers.length === 0 ? missingGuardrailConsent(fresh, consentTier) : undefined;
    if (missing) {
      audit.record('mitigation.blocked', {
        actor: AUTOMATION,
        stepId: step.id,
        summary: `${step.id} not started: ${missing}`,
      });
      if (approval?.state === 'approved')
        voidApproval(ctx, approval, `${approval.id} is void: ${missing}; deciding again`);
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
      audit.record('mitigation.blocked', {
        actor: AUTOMATION,
        stepId: step.id,
        summary: `${step.id} not started: ${blocker}`,
      });
      if (approval && blocker.startsWith('approval-void')) {
        voidApproval(ctx, approval, `${approval.id} is void (${blocker}); asking again`);
        continue; // asks again (and waits): no busy loop
      }
      if (ctx.responseOptOut() || fresh.blockers.length) continue; // the top of the loop waits (opt-in, or the control lifted)
      // Anything else that blocks is final for this step: fail closed.
      return ctx.setStepState(view, 'skipped', blocker);
    }
    const grant = approval
      ? audit.events.findLast(
          (e) =>
            e.approvalId === approval.id && (e.type === 'approval.granted' || e.type === 'objection.window-passed'),
        )
      : undefined;
    ctx.setPhase('mitigating');
    const outcome = await inDecisionTrace(ctx, approval?.id, () =>
      runStep(ctx, step, view, grant?.eventId, consentTier),
    );
    if (outcome === 'effect-unknown') {
      // Never repeated by itself: a person retries (back through every check above), marks it
      // done, or takes over.
      const verdict = await awaitHumanVerdict(ctx, step, view, openUnknownEffect(status, step.id)!);
      if (verdict === 'retry') continue;
      return;
    }
    if (outcome === 'stopped-by-guardrail') {
      // Interrupted or refused at start by a control: once it lifts, the step is decided
      // again from the start, and any approval it had does not carry over.
      if (approval && approval.state === 'approved')
        voidApproval(ctx, approval, `${approval.id} is void: a guardrail stopped ${step.id}; it will be asked again`);
      ctx.setStepState(view, 'pending', 'stopped by a guardrail');
      continue;
    }
    return;
  }
}
