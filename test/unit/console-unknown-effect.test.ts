import { describe, expect, it } from 'vitest';
import { incidentControls, incidentLive } from '../../src/console/pages/incident.js';
import type { ResponseStatus, UnknownEffect } from '../../src/domain/response/status.js';

const lost: UnknownEffect = {
  id: 'unknown-1',
  stepId: 'restart-replica',
  action: 'http.request',
  parameters: { url: 'http://db/restart' },
  startedAt: '2026-11-23T10:00:00.000Z',
  lostAt: '2026-11-23T10:00:06.000Z',
  cause: 'heartbeat-timeout',
  detail: 'activity Heartbeat timeout',
  effect: 'unknown',
  startedEventId: 'e1',
  eventId: 'e2',
  options: [
    { choice: 'retry', verified: true, does: 'run it again' },
    { choice: 'mark-done', verified: true, does: 'record it done' },
    { choice: 'hand-over', verified: false, does: 'a person takes over' },
  ],
  state: 'open',
};
const status = (u: UnknownEffect[]): ResponseStatus => ({
  incidentId: 'am-1',
  workflowId: 'incident-am-1',
  phase: 'needs-human',
  dryRun: false,
  title: 'Replication lag',
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  labels: {},
  alerts: [],
  deliveries: 1,
  duplicateDeliveries: 0,
  steps: [],
  approvals: [],
  optOuts: [],
  overrides: [],
  unknownEffects: u,
  timeline: [],
});
const all = { decide: true, optOut: true, optIn: true, stop: true, settle: true };

describe('the console and a mitigation of unknown effect', () => {
  it('says what happened, and offers the three choices to those who may settle', () => {
    const live = String(incidentLive(status([lost])));
    expect(live).toContain('Needs a person: restart-replica (http.request)');
    expect(live).toContain('Its effect is unknown; it will not be retried by itself.');
    const controls = String(incidentControls(status([lost]), all, 'tok'));
    expect(controls).toContain('action="/console/incidents/am-1/steps/restart-replica/settle"');
    for (const choice of ['retry', 'mark-done', 'hand-over']) expect(controls).toContain(`value="${choice}"`);
    // Not to an auditor, and not once it is settled.
    expect(String(incidentControls(status([lost]), { ...all, settle: false }, 'tok'))).not.toContain('/settle');
    const settled = status([{ ...lost, state: 'retried' }]);
    expect(String(incidentLive(settled))).not.toContain('Needs a person');
    expect(String(incidentControls(settled, all, 'tok'))).not.toContain('/settle');
  });
});
