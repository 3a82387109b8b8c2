// The worker's workflowsPath: every workflow type this worker runs, and nothing else.
export { guardrails } from './guardrails/workflow.js';
export { incidentResponse } from './incident-response/workflow.js';
export { auditRetention } from './retention/workflow.js';
