// The worker's workflowsPath: every workflow type this worker runs, and nothing else.
export { incidentResponse } from './incident-response/workflow.js';
