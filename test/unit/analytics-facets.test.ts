import { describe, expect, it } from 'vitest';
import { changedInputs, guardrailKind, msBetween } from '../../src/domain/analytics/facets.js';
import { eventHash, GENESIS_HASH, verifyChains } from '../../src/domain/audit/chain.js';
import type { AuditEvent } from '../../src/domain/audit/event.js';

/** An event as responses recorded them before analytics facets existed. */
const OLD: AuditEvent = {
  eventId: 'incident-am-x:run-1:1',
  sequence: 1,
  time: '2026-11-22T10:00:00.000Z',
  incidentId: 'am-x',
  workflowId: 'incident-am-x',
  type: 'approval.requested',
  actor: { id: 'interlock', name: 'Interlock', channel: 'system' },
  summary: 'Approval requested for restart',
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  stepId: 'restart',
  approvalId: 'restart-1',
  prevHash: GENESIS_HASH,
};

function link(events: AuditEvent[], e: Omit<AuditEvent, 'prevHash' | 'hash'>): AuditEvent[] {
  const next: AuditEvent = { ...e, prevHash: events.at(-1)?.hash ?? GENESIS_HASH };
  next.hash = eventHash(next);
  return [...events, next];
}

describe('analytics facets in the audit chain', () => {
  it('hashes an event without facets exactly as before they existed (stored chains still verify)', () => {
    // Pinned: the hash main's chain.ts gave this event before facets existed.
    expect(eventHash(OLD)).toBe('8b929eb271eeafe6d21362ef3ddd03d73b9361636ec3a81a9dbc1d80e02a4083');
  });

  it('verifies a chain that continues old events with faceted ones, and shows an edited facet', () => {
    let events = link([], OLD);
    events = link(events, {
      ...OLD,
      eventId: 'incident-am-x:run-1:2',
      sequence: 2,
      type: 'approval.granted',
      playbookId: 'pg-lag',
      playbookVersion: 3,
      team: 'db',
      actionKind: 'http-request',
      tier: 'tier1',
      latencyMs: 41_000,
      notifiedLatencyMs: 39_500,
      adjustedInputs: ['drainSeconds'],
    });
    expect(verifyChains(events)).toEqual({ intact: true, chains: 1, events: 2 });
    const edited = events.map((e) => (e.sequence === 2 ? { ...e, team: 'someone-else' } : e));
    const verdict = verifyChains(edited);
    expect(verdict.intact).toBe(false);
    if (!verdict.intact) expect(verdict.firstBroken.problem).toMatch(/content does not match its hash/);
  });
});

describe('facets derived as events are recorded', () => {
  it('names the control a blocker comes from', () => {
    expect(guardrailKind('restart waits: kill switch engaged by Alice: bad deploy')).toBe('kill-switch');
    expect(guardrailKind('restart not started: paused by Bob: drill (until 2026-12-01T00:00:00Z)')).toBe('pause');
    expect(guardrailKind('restart waits: exclusion rule no-db: never in prod')).toBe('rule');
    expect(guardrailKind('restart waits: change freeze xmas until 2026-12-27: holidays')).toBe('freeze');
    expect(guardrailKind('restart not started: approval-void: expired')).toBe('other');
  });
  it('measures durations in whole milliseconds, and nothing from a missing or later start', () => {
    expect(msBetween('2026-11-22T10:00:00.000Z', '2026-11-22T10:00:41.250Z')).toBe(41_250);
    expect(msBetween(undefined, '2026-11-22T10:00:41Z')).toBeUndefined();
    expect(msBetween('nonsense', '2026-11-22T10:00:41Z')).toBeUndefined();
    expect(msBetween('2026-11-22T10:01:00Z', '2026-11-22T10:00:00Z')).toBeUndefined();
  });
  it('lists the inputs an adjustment changed, sorted', () => {
    expect(changedInputs({ drainSeconds: 30, replicas: 1 }, { force: true, replicas: 1, drainSeconds: 90 })).toEqual([
      'drainSeconds',
      'force',
    ]);
  });
});
