import type { DecisionInput } from '../response/inputs.js';
import type { ApprovalRequest } from '../response/status.js';

/** Why a decision is refused; the codes map to HTTP statuses at the gateway. */
export type DecisionRefusal =
  | { code: 'UnknownApproval'; message: string }
  | { code: 'ApprovalClosed'; message: string }
  | { code: 'NotAuthorized'; message: string }
  | { code: 'DuplicateApprover'; message: string };

/**
 * The rules a decision must pass, checked inside the workflow (never only at the gateway):
 * the request is open and unexpired, the person holds the required tier, did not request the
 * action, and has not already counted toward the quorum.
 */
export function refuseDecision(approval: ApprovalRequest | undefined, input: DecisionInput, nowMs: number): DecisionRefusal | undefined {
  if (!approval) return { code: 'UnknownApproval', message: `no approval request "${input.approvalId}" in this response` };
  if (approval.state !== 'pending') return { code: 'ApprovalClosed', message: `approval request ${approval.id} is already ${approval.state}` };
  if (nowMs >= Date.parse(approval.expiresAt)) return { code: 'ApprovalClosed', message: `approval request ${approval.id} expired at ${approval.expiresAt}` };
  if (!input.actor.roles.includes('approver') || !input.actor.groups.includes(approval.tier)) {
    return { code: 'NotAuthorized', message: `${input.actor.id} is not an approver in tier "${approval.tier}"` };
  }
  if (input.actor.id === approval.requestedBy.id) return { code: 'NotAuthorized', message: 'the requester cannot decide their own request' };
  if (approval.decisions.some((d) => d.actor.id === input.actor.id)) {
    return { code: 'DuplicateApprover', message: `${input.actor.id} has already decided on ${approval.id}` };
  }
  return undefined;
}
