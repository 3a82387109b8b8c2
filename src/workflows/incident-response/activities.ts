import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
// Types only: activity code (and the clients it holds) never enters the workflow bundle.
import type { IncidentActivities } from '../../activities/index.js';
import type { ActionSpec } from '../../domain/playbook/playbook.js';

export const { selectPlaybook, indexAuditEvents } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // Indexing retries without limit: OpenSearch down for minutes must delay, never drop, events.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

export const { sendNotification } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // A channel that is down must not hold the response: a few tries, then the failure is audited
  // (notification.failed) and the response goes on. Reminders and escalations notify again.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

export const { loadTrust } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  // Without the keys nothing can be verified: inputs that proceed are refused until they arrive.
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export const { checkGuardrails } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  // Unreachable guardrails mean "cannot tell": the mitigation waits (fails closed) meanwhile.
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

/**
 * How long a mitigation may go without a heartbeat before Temporal declares its worker lost
 * (responses with the mitigation-effect-unknown patch; see unknown-effect.ts). A lost mitigation
 * then waits for a person, so this is how fast people hear of it: 5 s, not the 30 s reads keep.
 * Why not less: actions heartbeat at least three times per timeout (activities/actions/heartbeat.ts:
 * every 100 ms alone, at most every 1.7 s under load), so a worker would have to stall for about
 * 3 s (a long GC pause, starved CPU) before it is taken for dead; and a false alarm is safe but
 * costly (the action is cancelled on its next heartbeat and a person is asked). Every beat is a
 * server write, and a shorter timeout means more beats for the same number of mitigations.
 */
export const MITIGATION_HEARTBEAT_TIMEOUT = '5s';

/**
 * Heartbeats carry cancellation to the activity: sent every 200 ms when few actions run, less
 * often when a worker has many in flight (see activities/actions/heartbeat.ts, at most every 10 s,
 * and at least three times per heartbeatTimeout). `detectsLoss`: a mitigation whose loss the
 * response handles (needs a person), so it is noticed within MITIGATION_HEARTBEAT_TIMEOUT.
 */
export function actionRunner(kind: string, action: ActionSpec, summary?: string, detectsLoss = false) {
  return proxyActivities<IncidentActivities>({
    // What the Temporal UI shows for this activity ("restart-replica: POST db.internal/restart").
    ...(summary ? { summary } : {}),
    startToCloseTimeout: action.params.timeout + 5_000,
    heartbeatTimeout: detectsLoss ? MITIGATION_HEARTBEAT_TIMEOUT : '30s',
    // Wait until the activity has really stopped (request aborted, process killed) before
    // recording "cancelled" and moving on.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A mitigation changes production: never repeat it behind a human's back. Reads may retry.
    retry: { maximumAttempts: kind === 'mitigation' ? 1 : 3 },
  }).runAction;
}
