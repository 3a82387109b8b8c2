import { ApplicationFailure } from '@temporalio/workflow';
import type { infer as zInfer, ZodType } from 'zod';
import { refuseDecision } from '../../domain/approval/authorize-decision.js';
import { checkInputs, type Playbook } from '../../domain/playbook/playbook.js';
import {
  decisionSchema,
  describeIssues,
  noteSchema,
  optInSchema,
  optOutSchema,
  overrideSchema,
  resolveSchema,
  settleSchema,
  type DecisionInput,
  type OverrideInput,
  type SettleInput,
} from '../../domain/response/inputs.js';
import type { ResponseStatus, StepState } from '../../domain/response/status.js';
import { TERMINAL_PHASES } from '../../contracts/phases.js';
import type { ResponseRefusalType } from '../../contracts/refusals.js';

/** Steps whose fate is still open: only these can be overridden. */
export const UNFINISHED: ReadonlySet<StepState> = new Set(['pending', 'awaiting-approval', 'objection-window']);

/** A refusal the caller sees (the gateway maps `type` to an HTTP status). */
export function refuse(type: ResponseRefusalType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * What each human input must pass before the response takes it. Used as the update validators
 * (a refused update never reaches history) and, for the same-named signals, before applying them.
 * Pure reads of the response as it is now: nothing here changes state.
 */
export function createInputValidators(current: () => { status: ResponseStatus; playbook: Playbook | undefined }) {
  const stepSpec = (stepId: string) => current().playbook?.steps.find((s) => s.id === stepId);
  const open = () => {
    const { phase } = current().status;
    if (TERMINAL_PHASES.has(phase)) refuse('ResponseClosed', `the response has ended (${phase})`);
  };
  const parse = <S extends ZodType>(schema: S, raw: unknown): zInfer<S> => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) refuse('InvalidInput', describeIssues(parsed.error));
    return parsed.data;
  };

  return {
    /** approve / reject / object: the rules of refuseDecision, on the request as it is now. */
    decision(raw: unknown): DecisionInput {
      const d = parse(decisionSchema, raw);
      open();
      const approval = current().status.approvals.find((a) => a.id === d.approvalId);
      const refusal = refuseDecision(approval, d, Date.now(), approval ? stepSpec(approval.stepId)?.inputs : {});
      if (refusal) refuse(refusal.code, refusal.message);
      return d;
    },

    optOut(raw: unknown) {
      const o = parse(optOutSchema, raw);
      open();
      const { playbook } = current();
      if (o.scope.kind === 'step' && playbook && !stepSpec(o.scope.stepId))
        refuse('UnknownStep', `no step "${o.scope.stepId}" in playbook ${playbook.id}`);
      if (o.mode === 'hand-over' && o.scope.kind !== 'response')
        refuse('InvalidInput', 'hand-over applies to the whole response (scope kind "response")');
      return o;
    },

    optIn(raw: unknown) {
      const o = parse(optInSchema, raw);
      open();
      const active = current().status.optOuts.filter((x) => x.active);
      if (o.optOutId && !active.some((x) => x.id === o.optOutId))
        refuse('UnknownOptOut', `no active opt-out "${o.optOutId}"`);
      if (active.length === 0) refuse('UnknownOptOut', 'there is no active opt-out to release');
      return o;
    },

    override(raw: unknown): OverrideInput {
      const o = parse(overrideSchema, raw);
      open();
      const { status, playbook } = current();
      const step = stepSpec(o.stepId);
      if (!step)
        refuse(
          'UnknownStep',
          `no step "${o.stepId}"${playbook ? ` in playbook ${playbook.id}` : ' (no playbook selected yet)'}`,
        );
      const view = status.steps.find((s) => s.id === o.stepId)!;
      if (!UNFINISHED.has(view.state)) refuse('InvalidInput', `step ${o.stepId} is already ${view.state}`);
      if (o.type === 'set-inputs') {
        const problems = checkInputs(step.inputs, o.inputs);
        if (problems.length) refuse('InvalidInput', `inputs refused: ${problems.join('; ')}`);
      }
      if (o.type === 'require-approval' && step.kind !== 'mitigation')
        refuse('InvalidInput', `step ${o.stepId} is a ${step.kind}; only mitigations take approvals`);
      return o;
    },

    note(raw: unknown) {
      const n = parse(noteSchema, raw);
      open();
      return n;
    },

    /** retry / mark-done / hand-over a mitigation of unknown effect: only while one waits. */
    settle(raw: unknown): SettleInput {
      const s = parse(settleSchema, raw);
      open();
      const waiting = (current().status.unknownEffects ?? []).filter((u) => u.state === 'open');
      if (!waiting.some((u) => s.stepId === undefined || u.stepId === s.stepId))
        refuse(
          'NothingToSettle',
          s.stepId
            ? `step ${s.stepId} has no mitigation of unknown effect waiting for a person`
            : 'no mitigation of unknown effect waits for a person',
        );
      // Running it again acts on production like an approval does: an approver (or admin) only.
      if (s.choice === 'retry' && !s.actor.roles.some((r) => r === 'approver' || r === 'admin'))
        refuse('NotAuthorized', `${s.actor.id} may not retry a mitigation: it needs the approver role`);
      return s;
    },

    resolve(raw: unknown) {
      const r = parse(resolveSchema, raw);
      open();
      return r;
    },
  };
}
