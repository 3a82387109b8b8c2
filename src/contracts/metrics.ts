/**
 * The names of the metrics Interlock's workflows emit through Temporal's metric meter, shared by
 * the workflow code that emits them, the dashboard test and the README. The worker's Prometheus
 * exporter appends `_total` to counters (countersTotalSuffix), so the scraped names end in `_total`.
 */
export const RESPONSE_METRICS = {
  /** Approval requests and objection windows opened, by kind and tier. */
  approvalRequests: 'interlock_approval_requests',
  /** Decisions taken inside a response (any channel, the Temporal UI and CLI included), by decision, outcome and channel. */
  decisions: 'interlock_response_decisions',
  /** Opt-outs engaged, by scope and mode. */
  optOuts: 'interlock_response_optouts',
  /** A mitigation held or interrupted by a guardrail, by playbook, step, action and how. */
  guardrailBlocks: 'interlock_guardrail_blocks',
  /** Mitigations that ended, by playbook, step, action and outcome. */
  mitigations: 'interlock_mitigations',
  /** From an approval request to the decision that settled it, in seconds, by outcome. */
  approvalWait: 'interlock_approval_wait_seconds',
} as const;

/** Gauges the worker computes from Temporal's visibility store (src/worker/pending-approvals.ts). */
export const PENDING_APPROVAL_METRICS = {
  pending: 'interlock_approvals_pending',
  pendingOlderThan: 'interlock_approvals_pending_older_than',
  oldestAge: 'interlock_approvals_oldest_pending_age_seconds',
  lastObserved: 'interlock_approvals_observed_timestamp_seconds',
} as const;
