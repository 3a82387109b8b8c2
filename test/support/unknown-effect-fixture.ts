import type { UnknownEffect } from '../../src/domain/response/status.js';

/** A mitigation lost with its worker, as the workflow describes it in its needs-human notice. */
export const lostRestart: UnknownEffect = {
  id: 'restart-replica:1',
  stepId: 'restart-replica',
  action: 'http.request',
  parameters: { drainSeconds: 30, url: 'http://db/<restart>' },
  startedAt: '2026-11-23T10:02:00.000Z',
  lostAt: '2026-11-23T10:02:07.000Z',
  cause: 'heartbeat-timeout',
  detail: 'activity Heartbeat timeout',
  effect: 'unknown',
  startedEventId: 'e-10',
  eventId: 'e-11',
  options: [
    { choice: 'retry', verified: true, does: 'run it again with the same parameters' },
    { choice: 'mark-done', verified: true, does: 'take it as done and go on' },
    { choice: 'hand-over', verified: false, does: 'stop automation; a person takes it from here' },
  ],
  state: 'open',
};
