import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
} from '@temporalio/workflow';
import type { IncidentResponseInput, IncidentResponseOutcome } from '../../contracts/incident-response.js';
import { optOutCovers } from '../../domain/response/safety.js';
import type { StepStatus } from '../../domain/response/status.js';
import type { PlaybookStep } from '../../domain/playbook/playbook.js';
import { loadTrust, selectPlaybook } from './activities.js';
import { abandonContinuation, awaitContinuation } from './continuation.js';
import { registerHandlers } from './handlers.js';
import { UNFINISHED } from './input-validation.js';
import { awaitClearance, mitigate, waitWhileOptedOut } from './mitigation.js';
import { startOutbox } from './notify.js';
import { AUTOMATION, ResponseContext } from './state.js';
import { compensate, runStep } from './step-runner.js';

const PHASE_FOR_KIND = {
  diagnostic: 'diagnosing',
  mitigation: 'mitigating',
  verification: 'verifying',
  notification: 'notifying',
} as const;

/**
 * One incident response: wait for its first alert, choose a playbook, run its steps in order
 * (mitigations through the consent gate), and end completed, resolved or cancelled.
 */
export async function incidentResponse(input: IncidentResponseInput): Promise<IncidentResponseOutcome> {
  const ctx = new ResponseContext(input);
  // Handlers first, before any await, so no early signal or update is lost.
  registerHandlers(ctx);
  ctx.audit.start();
  // Responses recorded before outcome notifications existed must replay as they ran: they have
  // no outbox (see README, "Changing workflow code").
  if (patched('notification-outbox')) {
    ctx.recordsDeliveries = patched('delivery-records');
    startOutbox(ctx);
    // What an earlier run had raised but not sent (continue-as-new).
    for (const n of input.carried?.outbox ?? []) ctx.outbox!.push(n);
  }
  // Responses recorded before long-lived responses existed never continue as new.
  const continues = (ctx.canContinue = patched('continue-as-new'));
  try {
    // Responses recorded before decisions were verified replay as they ran ('legacy').
    if (patched('verified-inputs')) {
      ctx.trust = 'loading';
      ctx.trust = await loadTrust();
    }
    if (continues) {
      // A continued run tells the Temporal UI where it stands again (search attributes, details).
      if (input.carried) ctx.reannounce();
      // Whichever comes first: the playbook's end, or a continuation at one of its rests.
      const next = await Promise.race([
        (async () => {
          await ctx.rest(() => ctx.status.deliveries > 0);
          await runPlaybook(ctx);
        })(),
        awaitContinuation(ctx),
      ]);
      if (next) return await continueAsNew<typeof incidentResponse>(next);
    } else {
      await condition(() => ctx.status.deliveries > 0);
      await runPlaybook(ctx);
    }
    // What was sent about the outcome is recorded before the closing event, which ends the chain.
    if (ctx.recordsDeliveries && ctx.outbox) await ctx.outbox.drain();
    ctx.audit.record('response.completed', {
      actor: AUTOMATION,
      summary: `Response ended: ${ctx.status.phase}`,
      outcome: ctx.status.phase,
    });
    await condition(allHandlersFinished);
    if (ctx.outbox) await ctx.outbox.flush();
    await ctx.audit.flush();
    return { phase: ctx.status.phase, stepsRun: ctx.stepsRun };
  } catch (err) {
    // Catching a cancellation and returning would end COMPLETED: clean up, then rethrow.
    if (isCancellation(err)) {
      abandonContinuation(ctx);
      await CancellationScope.nonCancellable(() => emergencyStop(ctx));
    }
    throw err;
  }
}

async function runPlaybook(ctx: ResponseContext): Promise<void> {
  const { status, audit } = ctx;
  // A continued run goes on with the playbook and policy its response began with. (One
  // function: an extra await here would reorder what older histories schedule on replay.)
  if (!ctx.playbook) {
    const selection = await selectPlaybook(status.labels);
    if (!selection) {
      audit.record('playbook.missing', {
        actor: AUTOMATION,
        summary: 'No playbook matches these alerts; nothing is automated',
      });
      ctx.setPhase('no-playbook');
      return;
    }
    const chosen = (ctx.playbook = selection.playbook);
    ctx.policy = selection.policy;
    status.playbook = { id: chosen.id, version: chosen.version };
    if (chosen.team) status.team = chosen.team;
    status.steps = chosen.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      action: s.action,
      title: s.title,
      impact: s.impact,
      risk: s.risk,
      inputs: {},
      params: {},
      state: 'pending',
      history: [],
    }));
    chosen.steps.forEach((s) => ctx.refreshStepView(s));
    audit.record('playbook.selected', {
      actor: AUTOMATION,
      summary: `Playbook ${chosen.id} v${chosen.version} selected`,
    });
  }
  const playbook = ctx.playbook;
  for (const step of playbook.steps) {
    const view = ctx.stepStatus(step.id)!;
    // Steps an earlier run finished (continue-as-new) are behind it.
    if (ctx.runs > 0 && !UNFINISHED.has(view.state)) continue;
    if (ctx.responseOptOut()) await waitWhileOptedOut(ctx);
    if (ctx.resolved) break;
    if (step.kind === 'mitigation') {
      await mitigate(ctx, step, view);
      continue;
    }
    if (!(await clearReadOnlyStep(ctx, step, view))) continue;
    if (ctx.resolved) break;
    if (ctx.responseOptOut()) await waitWhileOptedOut(ctx);
    ctx.setPhase(PHASE_FOR_KIND[step.kind]);
    await runStep(ctx, step, view);
  }
  // A halt that came during the last step still leaves the response open until released.
  if (!ctx.resolved && ctx.responseOptOut()) await waitWhileOptedOut(ctx);
  for (const view of status.steps.filter((s) => UNFINISHED.has(s.state)))
    ctx.setStepState(view, 'skipped', ctx.resolved ? 'response resolved' : undefined);
  ctx.setPhase(ctx.resolved ? 'resolved' : 'completed');
}

/**
 * Before a diagnostic, verification or notification step runs: false when an opt-out or an
 * override skips it. Waits while a kill switch forbids it (diagnostics may be allowed).
 */
async function clearReadOnlyStep(ctx: ResponseContext, step: PlaybookStep, view: StepStatus): Promise<boolean> {
  const optOut = ctx.status.optOuts.find(
    (o) => o.active && optOutCovers(o.scope, { stepId: step.id, action: step.action }),
  );
  if (optOut) {
    ctx.setStepState(view, 'skipped', `opted out by ${optOut.actor.name}: ${optOut.reason}`);
    return false;
  }
  if (ctx.status.overrides.some((o) => o.type === 'skip-step' && o.stepId === step.id)) {
    ctx.setStepState(view, 'skipped', 'skipped by override');
    return false;
  }
  view.inputs = ctx.currentInputs(step);
  while (!ctx.resolved && !ctx.responseOptOut() && !(await awaitClearance(ctx, step, view)));
  return true;
}

/** The emergency stop (workflow cancellation): skip what is left, compensate, record it all. */
async function emergencyStop(ctx: ResponseContext): Promise<void> {
  const { status, audit } = ctx;
  for (const view of status.steps.filter((s) => UNFINISHED.has(s.state)))
    ctx.setStepState(view, 'skipped', 'emergency stop');
  for (const approval of ctx.pendingApprovals()) approval.state = 'withdrawn';
  ctx.setPhase('cancelled');
  if (ctx.recordsDeliveries && ctx.outbox) await ctx.outbox.drain();
  const cancelled = audit.record('response.cancelled', {
    actor: ctx.stopRequest?.actor ?? { id: 'unknown', name: 'Temporal cancel request', channel: 'temporal-ui' },
    reason: ctx.stopRequest?.reason,
    // A Cancel straight from Temporal (UI, CLI) carries no person and no reason: say so.
    summary: ctx.stopRequest
      ? 'Response cancelled (emergency stop)'
      : 'Response cancelled (emergency stop) from Temporal, without a reason or a stop request through Interlock',
    outcome: 'cancelled',
    causedBy: ctx.stopRequest?.event.eventId,
  });
  await compensate(ctx, cancelled);
  if (ctx.outbox) await ctx.outbox.flush();
  await ctx.audit.flush();
}
