import { checkInputs, type InputSpec } from '../playbook/playbook.js';
import type { DecisionInput } from '../response/inputs.js';
import type { ApprovalRequest } from '../response/status.js';

/** Why a decision is refused; the codes map to HTTP statuses at the gateway. */
export type DecisionRefusal =
  | { code: 'UnknownApproval'; message: string }
  | { code: 'ApprovalClosed'; message: string }
  | { code: 'NotAuthorized'; message: string }
  | { code: 'DuplicateApprover'; message: string }
  | { code: 'InvalidInput'; message: string };

/**
 * The rules a decision must pass, checked inside the workflow (never only at the gateway):
 * the request is open and unexpired, the person may answer it (an approver in one of its tiers;
 * for an objection window, any responder or approver), did not request the action, has not
 * already counted toward the quorum, and any adjusted inputs are within the playbook's bounds.
 */
export function refuseDecision(
  approval: ApprovalRequest | undefined,
  input: DecisionInput,
  nowMs: number,
  adjustable: Record<string, InputSpec> = {},
): DecisionRefusal | undefined {
  if (!approval)
    return { code: 'UnknownApproval', message: `no approval request "${input.approvalId}" in this response` };
  if (approval.state !== 'pending')
    return { code: 'ApprovalClosed', message: `approval request ${approval.id} is already ${approval.state}` };
  if (nowMs >= Date.parse(approval.expiresAt))
    return { code: 'ApprovalClosed', message: `approval request ${approval.id} expired at ${approval.expiresAt}` };
  if (approval.kind === 'objection') {
    if (input.decision !== 'reject')
      return {
        code: 'InvalidInput',
        message: `${approval.id} is an objection window: it runs unless someone rejects it; there is nothing to approve`,
      };
    if (!input.actor.roles.some((r) => r === 'responder' || r === 'approver' || r === 'admin')) {
      return { code: 'NotAuthorized', message: `${input.actor.id} may not object: responders and approvers may` };
    }
    return undefined;
  }
  if (!input.actor.roles.includes('approver') || !approval.tiers.some((t) => input.actor.groups.includes(t))) {
    return {
      code: 'NotAuthorized',
      message: `${input.actor.id} is not an approver in tier ${approval.tiers.map((t) => `"${t}"`).join(' or ')}`,
    };
  }
  if (input.actor.id === approval.requestedBy.id)
    return { code: 'NotAuthorized', message: 'the requester cannot decide their own request' };
  if (approval.decisions.some((d) => d.actor.id === input.actor.id)) {
    return { code: 'DuplicateApprover', message: `${input.actor.id} has already decided on ${approval.id}` };
  }
  if (input.inputs) {
    if (input.decision === 'reject')
      return { code: 'InvalidInput', message: 'inputs can only be adjusted when approving' };
    const problems = checkInputs(adjustable, input.inputs);
    if (problems.length) return { code: 'InvalidInput', message: `adjusted inputs refused: ${problems.join('; ')}` };
  }
  return undefined;
}
