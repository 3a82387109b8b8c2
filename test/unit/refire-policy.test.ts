import { describe, expect, it } from 'vitest';
import {
  dryRunIncidentId,
  INCIDENT_ID_PATTERN,
  incidentIdFor,
  sourceOf,
  workflowIdFor,
} from '../../src/domain/incident/incident-id.js';
import { decideRefire, isAutomatedStart, type RefirePolicy } from '../../src/domain/incident/refire-policy.js';

const policy: RefirePolicy = { quietPeriodMs: 15 * 60_000, maxAutomatedPerHour: 3 };
const ended = new Date('2026-11-22T10:00:00Z');
const after = (minutes: number) => new Date(ended.getTime() + minutes * 60_000);

describe('re-fire policy', () => {
  it('a resolved notification never starts a response, however long the quiet', () => {
    const d = decideRefire(
      { status: 'resolved', lastEndedAt: ended, automatedStartsLastHour: 0, now: after(600) },
      policy,
    );
    expect(d).toEqual({ start: false, reason: expect.stringMatching(/resolved notification never starts/) });
  });

  it('within the quiet period since the end: recorded, not started, and says when and who can', () => {
    const d = decideRefire(
      { status: 'firing', lastEndedAt: ended, automatedStartsLastHour: 1, now: after(14) },
      policy,
    );
    expect(d.start).toBe(false);
    expect(d.reason).toMatch(/ended 14 min ago.*after 15 min of quiet.*responder may restart/);
  });

  it('the quiet period is measured from the end: at exactly its length a new response may open', () => {
    expect(
      decideRefire({ status: 'firing', lastEndedAt: ended, automatedStartsLastHour: 1, now: after(15) }, policy).start,
    ).toBe(true);
  });

  it('at most N automated responses per incident key per hour: past that, a human must start it', () => {
    const facts = { status: 'firing' as const, lastEndedAt: ended, now: after(30) };
    expect(decideRefire({ ...facts, automatedStartsLastHour: 2 }, policy).start).toBe(true);
    const d = decideRefire({ ...facts, automatedStartsLastHour: 3 }, policy);
    expect(d).toEqual({
      start: false,
      reason: expect.stringMatching(/3 automated responses .*at most 3.*responder must restart/),
    });
    expect(decideRefire({ ...facts, automatedStartsLastHour: 0 }, { ...policy, maxAutomatedPerHour: 0 }).start).toBe(
      false,
    );
  });

  it('counts only starts that were not a person restarting', () => {
    expect(isAutomatedStart('alert')).toBe(true);
    expect(isAutomatedStart('refire')).toBe(true);
    expect(isAutomatedStart(undefined)).toBe(true); // responses started before the memo existed
    expect(isAutomatedStart('restart')).toBe(false);
  });
});

describe('dry-run incident IDs', () => {
  const real = incidentIdFor('alertmanager', '{}:{alertname="X"}');

  it('are their own ID space: never the real incident workflow ID, and accepted by the routes', () => {
    const dry = dryRunIncidentId(real, new Date(1_700_000_000_123));
    expect(dry).toBe(`dryrun-${real}-1700000000123`);
    expect(workflowIdFor(dry)).not.toBe(workflowIdFor(real));
    expect(INCIDENT_ID_PATTERN.test(dry)).toBe(true);
    expect(INCIDENT_ID_PATTERN.test(real)).toBe(true);
    expect(sourceOf(dry)).toBe('alertmanager');
  });

  it.each([
    'dryrun-am-123',
    `dryrun-${'am-' + 'a'.repeat(24)}`,
    `am-${'a'.repeat(24)}-5`,
    'incident-am-x',
    'xx-' + 'a'.repeat(24),
  ])('refuses %s', (id) => expect(INCIDENT_ID_PATTERN.test(id)).toBe(false));
});
