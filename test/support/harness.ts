import { inject } from 'vitest';
import { startInterlock, type Interlock, type InterlockOptions } from './interlock.js';

export { alertmanagerWebhook, PEOPLE, restartPlaybook, uniqueGroupKey, type Person } from './interlock.js';
export type Harness = Interlock;

/** An Interlock for one test file, on the stack that globalSetup started. */
export function startHarness(options: InterlockOptions): Promise<Harness> {
  return startInterlock(
    {
      temporalAddress: inject('temporalAddress'),
      opensearchUrl: inject('opensearchUrl'),
      auditIndexPrefix: inject('auditIndexPrefix'),
      auditIndexReplicas: inject('auditIndexReplicas'),
      workflowBundlePath: inject('workflowBundlePath'),
    },
    options,
  );
}
