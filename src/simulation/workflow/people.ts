import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { PeopleActivities } from '../people-activities.js';

/**
 * The scripted people's clock. It runs beside the simulated response on the same time-skipping
 * server, so "bob approves 3 minutes after he is paged" is a real timer there: the server jumps
 * from timer to timer (the response's reminders, escalations and expiries, and these) in order,
 * and no reaction is ever late or early, however long the chain is.
 */
export const cueSignal = defineSignal<[{ id: number; afterMs: number }]>('cue');
export const finishSignal = defineSignal('finish');

const { act, horizonReached } = proxyActivities<PeopleActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 1 },
});

export async function simulatedPeople(horizonMs: number): Promise<void> {
  let finished = false;
  setHandler(cueSignal, async ({ id, afterMs }) => {
    if (afterMs > 0) await sleep(afterMs);
    if (!finished) await act(id);
  });
  setHandler(finishSignal, () => {
    finished = true;
  });
  // A response that never ends by itself (opted out, handed over) stops the simulation here.
  if (!(await condition(() => finished, horizonMs))) await horizonReached();
}
