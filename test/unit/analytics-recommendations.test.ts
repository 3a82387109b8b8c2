import { describe, expect, it } from 'vitest';
import { recommend, THRESHOLDS } from '../../src/domain/analytics/recommendations.js';
import { timeRange, type AnalyticsQuery, type GroupMetrics } from '../../src/domain/analytics/report.js';

const QUERY: AnalyticsQuery = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  groupBy: 'step',
  team: 'db',
};

function step(name: string, m: Partial<GroupMetrics>): GroupMetrics {
  const none = { p50: null, p95: null };
  return {
    key: { playbook: 'pg', step: name },
    responses: 0,
    automatic: 0,
    approved: 0,
    rejected: 0,
    optedOut: 0,
    expired: 0,
    escalations: 0,
    adjusted: 0,
    adjustedInputs: {},
    mitigated: 0,
    compensations: 0,
    killSwitchBlocks: 0,
    guardrailBlocks: 0,
    approvalLatencyMs: { ...none, max: null },
    notifiedLatencyMs: none,
    timeToMitigateMs: none,
    ...m,
  };
}
const latency = (max: number) => ({ p50: max, p95: max, max });

describe('recommendations', () => {
  it('suggests automatic with an objection window for a step always approved quickly, with its evidence and links', () => {
    const [r, ...rest] = recommend(QUERY, [
      step('flush', { responses: 48, approved: 48, approvalLatencyMs: latency(39_200) }),
    ]);
    expect(rest).toEqual([]);
    expect(r).toEqual({
      kind: 'automate-with-objection-window',
      playbook: 'pg',
      step: 'flush',
      message:
        'pg/flush: approved 48 of 48 times within 40 s over 30 days: candidate for automatic with an objection window',
      evidence: { approved: 48, requestsDecided: 48, maxLatencyMs: 39_200, days: 30 },
      links: {
        api: '/v1/audit/search?playbook=pg&step=flush&from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&team=db&type=approval.granted&type=approval.rejected&sort=newest',
        console:
          '/console/audit?playbook=pg&step=flush&from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&team=db&type=approval.granted&type=approval.rejected',
      },
    });
  });
  it('does not suggest it after a single rejection, expiry or opt-out, a slow decision, or too few approvals', () => {
    const quick = { responses: 20, approved: 20, approvalLatencyMs: latency(10_000) };
    for (const spoiler of [
      { rejected: 1 },
      { expired: 1 },
      { optedOut: 1 },
      { approvalLatencyMs: latency(THRESHOLDS.automateMaxLatencyMs + 1) },
      { approved: THRESHOLDS.automateMinApprovals - 1 },
    ])
      expect(recommend(QUERY, [step('s', { ...quick, ...spoiler })]).map((r) => r.kind)).not.toContain(
        'automate-with-objection-window',
      );
  });
  it('flags frequent opt-outs, expiries and adjusted inputs at their thresholds, not below', () => {
    const found = recommend(QUERY, [
      step('failover', { responses: 20, optedOut: 7 }),
      step('calm', { responses: 20, optedOut: 4 }),
      step('few', { responses: 4, optedOut: 4 }),
      step('scale', { expired: 12, escalations: 12 }),
      step('scale-once', { expired: 2 }),
      step('drain', { responses: 10, approved: 10, rejected: 1, adjustedInputs: { drainSeconds: 7, instance: 4 } }),
    ]).map((r) => r.message);
    expect(found).toEqual([
      'pg/failover: opted out in 35% of runs (7 of 20): review this step',
      'pg/scale: 12 requests expired unanswered: check routing or staffing',
      'pg/drain: drainSeconds adjusted in 70% of approvals (7 of 10): change the default',
    ]);
  });
});

describe('the time range', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it('defaults to the last 30 days', () => {
    expect(timeRange(undefined, undefined, now)).toEqual({
      from: '2026-11-04T12:00:00.000Z',
      to: '2026-12-04T12:00:00.000Z',
    });
  });
  it('refuses an empty, inverted or too wide range with a sentence', () => {
    expect(timeRange('2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', now)).toEqual({
      problem: 'from must be before to',
    });
    expect(timeRange('2020-01-01T00:00:00Z', undefined, now)).toEqual({
      problem: 'the range may span at most 400 days',
    });
  });
});
