import { consentLevels, newApprovalRequest, type ConsentDecision } from '../../domain/approval/request.js';
import type { PlaybookStep } from '../../domain/playbook/playbook.js';
import type { ApprovalPolicy } from '../../domain/policy/policy.js';
import type { ApprovalRequest, StepStatus } from '../../domain/response/status.js';
import { notify, queueNotification } from './notify.js';
import { AUTOMATION, now, type ResponseContext } from './state.js';

/**
 * Open an approval request (or objection window) and wait for its outcome: reminders, then one
 * escalation level after another, and on silence fail closed (an objection window, by design,
 * lets the step run). Decisions arrive through the handlers; this only waits and times out.
 */
export async function requestConsent(
  ctx: ResponseContext,
  step: PlaybookStep,
  view: StepStatus,
  decision: ConsentDecision,
  source: string,
): Promise<ApprovalRequest> {
  const { status, audit } = ctx;
  const { levels, perLevelMs } = consentLevels(decision);
  // A continued run takes up the request the earlier run was waiting on (continuation.ts): same
  // ID, tier, escalation level and absolute deadline; nobody is asked again. (The kind is the
  // request's: an objection window stays one.)
  const resumed =
    ctx.runs > 0 ? status.approvals.find((a) => a.stepId === step.id && a.state === 'pending') : undefined;
  const objection = resumed ? resumed.kind === 'objection' : decision.mode === 'auto-after-objection-window';
  const approval =
    resumed ??
    newApprovalRequest({
      incidentId: ctx.input.incidentId,
      status,
      playbook: ctx.playbook,
      step,
      view,
      decision,
      source,
      dryRun: ctx.dryRun,
      nowMs: Date.now(),
    });
  let report: Awaited<ReturnType<typeof notify>> = undefined;
  // One function, no extra await on the first request's path: histories recorded before
  // continue-as-new existed must schedule in the same order on replay.
  if (!resumed) {
    status.approvals.push(approval);
    ctx.setStepState(view, objection ? 'objection-window' : 'awaiting-approval');
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
    ctx.setPhase(objection ? 'objection-window' : 'awaiting-approval');
    report = await notify(ctx, objection ? 'objection.window-opened' : 'approval.requested', approval);
  } else ctx.setPhase(objection ? 'objection-window' : 'awaiting-approval');

  let escalatedBecause: string | undefined;
  for (let level = resumed ? approval.escalationLevel : 0; level < levels.length; level++) {
    // Taken up by a continued run: this level was announced already.
    const takenUp = resumed !== undefined && level === approval.escalationLevel;
    if (level > 0 && !takenUp) {
      const previous = approval.tier;
      approval.tier = levels[level]!;
      approval.tiers.push(levels[level]!);
      approval.escalationLevel = level;
      approval.expiresAt = new Date(Date.now() + perLevelMs).toISOString();
      audit.record('approval.escalated', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        // The summary is hashed into the chain: responses begun before delivery records (the
        // same change reworded it) keep the words they were recorded with, so a replay rebuilds
        // the same hashes.
        summary: ctx.recordsDeliveries
          ? `${escalatedBecause ?? 'No answer in time'}: ${approval.id} escalated from tier ${previous} to tier ${approval.tier} (until ${approval.expiresAt})`
          : `No answer in time: ${approval.id} escalated to tier ${approval.tier} (until ${approval.expiresAt})`,
      });
      ctx.publish();
      report = await notify(ctx, 'approval.escalated', approval);
    }
    escalatedBecause = undefined;
    // Nobody on call for the tier is an escalation at once, never a silent wait. At the last
    // level (or in an objection window, which has nobody to escalate to) it is recorded loudly
    // and the request stays open to every tier asked so far, then fails closed as always.
    if (!takenUp && report?.recipients[0]?.people?.length === 0) {
      if (!objection && level + 1 < levels.length) {
        escalatedBecause = `Nobody is on call for tier ${approval.tier}`;
        continue;
      }
      audit.record('notification.unrouted', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        summary: objection
          ? `Nobody is on call for tier ${approval.tier}: nobody was asked to object before ${approval.expiresAt}`
          : `Nobody is on call for tier ${approval.tier}, the last escalation level: ${approval.id} stays open to tiers ${approval.tiers.join(', ')} until ${approval.expiresAt}, then fails closed`,
      });
    }
    const deadline = Date.parse(approval.expiresAt);
    const remindAfter =
      !objection &&
      decision.mode !== 'auto-after-objection-window' &&
      decision.remindAfter !== undefined &&
      decision.remindAfter < perLevelMs
        ? decision.remindAfter
        : undefined;
    // Taken up: the reminder is due at the same moment as before, unless it was already sent.
    const levelStart = deadline - perLevelMs;
    const remindIn = !takenUp
      ? remindAfter
      : remindAfter !== undefined && approval.remindedLevel !== level
        ? Math.max(0, levelStart + remindAfter - Date.now())
        : undefined;
    if (
      remindIn !== undefined &&
      !(await ctx.rest(
        () => approval.state !== 'pending',
        remindIn,
        `remind ${approval.tier} approvers (${approval.id})`,
      ))
    ) {
      approval.remindedLevel = level;
      audit.record('approval.reminded', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        summary: `Reminder sent to tier ${approval.tier} for ${approval.id}`,
      });
      await notify(ctx, 'approval.reminder', approval);
    }
    const last = level + 1 >= levels.length;
    const onTimeout = objection
      ? `${step.id} runs unless someone objects`
      : last
        ? `${approval.id} expires (fails closed)`
        : `escalate ${approval.id} to ${levels[level + 1]}`;
    if (await ctx.rest(() => approval.state !== 'pending', Math.max(0, deadline - Date.now()), onTimeout)) break;
  }
  if (approval.state === 'pending') {
    if (objection) {
      approval.state = 'approved';
      approval.approvedAt = now();
      approval.validUntil = approval.approvedAt;
      audit.record('objection.window-passed', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        summary: `No objection to ${step.id}: it runs now`,
        outcome: 'approved',
      });
    } else {
      approval.state = 'expired';
      audit.record('approval.expired', {
        actor: AUTOMATION,
        stepId: step.id,
        approvalId: approval.id,
        summary: `Nobody approved ${step.id} in time; it will not run (fail closed)`,
        outcome: 'expired',
      });
      queueNotification(ctx, 'approval.expired', approval);
    }
  }
  if (approval.state === 'approved' && !objection) {
    approval.validUntil = new Date(
      Date.parse(approval.approvedAt!) + (decision as ApprovalPolicy).validFor,
    ).toISOString();
  }
  ctx.publish();
  return approval;
}
