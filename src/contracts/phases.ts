/**
 * The one list of a response's phases: the `status` query's `phase`, the `ResponsePhase` search
 * attribute the Temporal UI filters on, and the gateway's `?phase=` filter all use these words.
 */
export const RESPONSE_PHASES = [
  'waiting-for-alert',
  'diagnosing',
  'awaiting-approval',
  'objection-window',
  'mitigating',
  'blocked',
  'verifying',
  'notifying',
  'opted-out',
  'handed-over',
  /** A mitigation's effect is unknown (its worker was lost): a person decides what happens next. */
  'needs-human',
  'completed',
  'resolved',
  'no-playbook',
  'cancelled',
  'failed',
] as const;
export type ResponsePhase = (typeof RESPONSE_PHASES)[number];

/** Phases a response never leaves: it takes no more input. */
export const TERMINAL_PHASES: ReadonlySet<ResponsePhase> = new Set([
  'completed',
  'resolved',
  'no-playbook',
  'cancelled',
  'failed',
]);
