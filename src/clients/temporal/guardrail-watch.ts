import { evaluateControls, type Controls, type GuardrailFacts } from '../../domain/guardrails/controls.js';

/** How often a worker with mitigations in flight reads the controls (one query, however many run). */
export const WATCH_POLL_MS = 250;

interface Watcher {
  facts: GuardrailFacts;
  onBlocked: (blockers: string[]) => void;
}

/**
 * The worker-local half of "a kill switch stops everything in seconds".
 *
 * A broadcast signal reaches each response, which cancels its activity; but cancellation reaches
 * an activity only inside a heartbeat response, and a thousand activities cannot all heartbeat
 * several times a second without swamping the Temporal server. So every running mitigation also
 * registers here with its facts: while any do, the worker reads the controls (one batched query
 * per poll), and whenever their version moves it interrupts, in-process, each mitigation the new
 * controls forbid. The broadcast activity publishes here too, so on the worker that ran it the
 * interruption does not even wait for the next poll.
 *
 * Only a version change is acted on, exactly as the response's own signal handler does, so the two
 * paths always agree on what a change interrupts.
 */
export function createGuardrailWatch(
  readControls: () => Promise<Controls>,
  options: { pollMs?: number; now?: () => number } = {},
) {
  const pollMs = options.pollMs ?? WATCH_POLL_MS;
  const now = options.now ?? Date.now;
  const watchers = new Set<Watcher>();
  let latest: Controls | undefined;
  let polling = false;

  const blockersFor = (controls: Controls, facts: GuardrailFacts) => evaluateControls(controls, facts, now()).blockers;

  const publish = (controls: Controls): void => {
    if (latest && controls.version <= latest.version) return;
    latest = controls;
    for (const w of [...watchers]) {
      const blockers = blockersFor(controls, w.facts);
      if (blockers.length) {
        watchers.delete(w);
        w.onBlocked(blockers);
      }
    }
  };

  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      while (watchers.size > 0) {
        // An unreadable control workflow changes nothing here: the response's own checks fail
        // closed before anything new starts, and the broadcast still reaches it.
        await readControls().then(publish, () => undefined);
        await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
      }
    } finally {
      polling = false;
    }
  };

  return {
    /**
     * Watch one running mitigation. `controlsAtStart` is what its start check saw, so a change
     * made after that check but before the first poll is still a change.
     */
    watch(facts: GuardrailFacts, controlsAtStart: number, onBlocked: (blockers: string[]) => void): () => void {
      // This worker may already have applied a version newer than the start check saw: judge
      // the newcomer against it now, or that change would pass it by.
      if (latest && latest.version > controlsAtStart) {
        const blockers = blockersFor(latest, facts);
        if (blockers.length) {
          queueMicrotask(() => onBlocked(blockers));
          return () => undefined;
        }
      }
      const watcher: Watcher = { facts, onBlocked };
      watchers.add(watcher);
      void poll();
      return () => void watchers.delete(watcher);
    },
    publish,
    get watching(): number {
      return watchers.size;
    },
  };
}
export type GuardrailWatch = ReturnType<typeof createGuardrailWatch>;
