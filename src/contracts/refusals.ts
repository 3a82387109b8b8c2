/**
 * Why a workflow refused a human input: the `ApplicationFailure.type` an update validator throws.
 * The gateway maps each to an HTTP status (src/api/errors.ts); a refused signal is recorded with
 * the same words. One list for both workflows, so a new refusal cannot reach callers unmapped.
 */
export const RESPONSE_REFUSAL_TYPES = [
  'InvalidInput',
  'UnknownApproval',
  'UnknownStep',
  'UnknownOptOut',
  'ApprovalClosed',
  'NotAuthorized',
  'DuplicateApprover',
  'ResponseClosed',
  'Unverified',
  /** No mitigation of unknown effect waits for a person (or not that step). */
  'NothingToSettle',
] as const;
export const GUARDRAILS_REFUSAL_TYPES = [
  'InvalidInput',
  'UnknownControl',
  'NotEngaged',
  'NotAuthorized',
  'Unverified',
] as const;

export type ResponseRefusalType = (typeof RESPONSE_REFUSAL_TYPES)[number];
export type GuardrailsRefusalType = (typeof GUARDRAILS_REFUSAL_TYPES)[number];
export type RefusalType = ResponseRefusalType | GuardrailsRefusalType;
