import type { Context } from '@temporalio/activity';

/**
 * Heartbeats are how cancellation (an opt-out, an emergency stop) reaches a running action: the
 * server answers a heartbeat with "cancel requested". So they must be frequent. But every heartbeat
 * is a write on the Temporal server, and a thousand actions beating five times a second would
 * swamp it (on the dev server here that stalled new responses and timed out running ones).
 *
 * So the actions of one worker share a budget: alone, an action calls heartbeat every 100 ms (the
 * worker sends at most one per 200 ms, its throttle; calling at the throttle's own period instead
 * was measured to leave up to two periods between sends, and doubled the opt-out p50); with many
 * in flight, each beats less often, so the worker as a whole stays near HEARTBEATS_PER_SECOND. The
 * kill switch and other guardrails do not depend on this: they interrupt actions in-process (see
 * guardrail-watch.ts).
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 100;
export const HEARTBEATS_PER_SECOND = 200;
/** Keep well inside the workflow's heartbeatTimeout (30 s) so a busy worker is never taken for dead. */
export const MAX_HEARTBEAT_INTERVAL_MS = 10_000;

let beating = 0;

export function heartbeatIntervalMs(actionsInFlight: number): number {
  return Math.min(
    MAX_HEARTBEAT_INTERVAL_MS,
    Math.max(MIN_HEARTBEAT_INTERVAL_MS, (actionsInFlight * 1000) / HEARTBEATS_PER_SECOND),
  );
}

/** Heartbeat until the returned function is called. */
export function keepHeartbeating(ctx: Pick<Context, 'heartbeat'>): () => void {
  const started = Date.now();
  beating++;
  let timer: NodeJS.Timeout;
  const schedule = () => {
    timer = setTimeout(() => {
      ctx.heartbeat({ elapsedMs: Date.now() - started });
      schedule();
    }, heartbeatIntervalMs(beating));
  };
  schedule();
  return () => {
    clearTimeout(timer);
    beating--;
  };
}
