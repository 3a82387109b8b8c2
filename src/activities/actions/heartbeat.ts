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
 *
 * Heartbeats are also how a dead worker is noticed: the server declares the action lost once
 * `heartbeatTimeout` passes without one. The budget never stretches the period past a third
 * of that timeout, so a busy worker (two beats late in a row) is never taken for dead, while a
 * dead one is noticed within the timeout (mitigations: 5 s, see workflows/incident-response/activities.ts).
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 100;
export const HEARTBEATS_PER_SECOND = 200;
/** The longest period, for actions with a long heartbeatTimeout (30 s for reads). */
export const MAX_HEARTBEAT_INTERVAL_MS = 10_000;
/** Beats per heartbeatTimeout at the least: two may be late before the action is taken for lost. */
export const BEATS_PER_HEARTBEAT_TIMEOUT = 3;

let beating = 0;

export function heartbeatIntervalMs(actionsInFlight: number, heartbeatTimeoutMs = 30_000): number {
  const ceiling = Math.min(MAX_HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs / BEATS_PER_HEARTBEAT_TIMEOUT);
  return Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.min(ceiling, (actionsInFlight * 1000) / HEARTBEATS_PER_SECOND));
}

/** Heartbeat until the returned function is called. */
export function keepHeartbeating(
  ctx: Pick<Context, 'heartbeat'> & { info?: Pick<Context['info'], 'heartbeatTimeoutMs'> },
): () => void {
  const started = Date.now();
  const timeoutMs = ctx.info?.heartbeatTimeoutMs || undefined;
  beating++;
  let timer: NodeJS.Timeout;
  const schedule = () => {
    timer = setTimeout(
      () => {
        ctx.heartbeat({ elapsedMs: Date.now() - started });
        schedule();
      },
      heartbeatIntervalMs(beating, timeoutMs),
    );
  };
  schedule();
  return () => {
    clearTimeout(timer);
    beating--;
  };
}
