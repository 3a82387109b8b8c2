import { spanDays, type AnalyticsQuery, type GroupMetrics, type Recommendation } from './report.js';

/**
 * When a finding is worth a person's attention (documented in the README, "Analytics"). Each is
 * a suggestion with its evidence: nothing here changes a playbook or a policy.
 */
export const THRESHOLDS = {
  /** Approved every time, never rejected, expired or opted out, at least this often... */
  automateMinApprovals: 10,
  /** ...and every decision within this long of the request. */
  automateMaxLatencyMs: 120_000,
  /** Opted out in at least this share of the responses that reached the step (and enough of them). */
  optOutShare: 0.25,
  optOutMinResponses: 5,
  /** At least this many requests expired unanswered. */
  expiredMin: 3,
  /** One input changed in at least this share of the approvals (and enough of them). */
  adjustedShare: 0.5,
  adjustedMinApprovals: 4,
} as const;

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Where the evidence is: the audit events of the step, of these types, over the same range. */
export function evidenceLinks(
  query: AnalyticsQuery,
  playbook: string,
  step: string,
  types: string[],
): Recommendation['links'] {
  const params = new URLSearchParams({ playbook, step, from: query.from, to: query.to });
  // The report's own filters narrow the evidence the same way.
  for (const key of ['service', 'team', 'environment'] as const) if (query[key]) params.set(key, query[key]);
  for (const t of types) params.append('type', t);
  return { api: `/v1/audit/search?${params}&sort=newest`, console: `/console/audit?${params}` };
}

/** Findings over step-level metrics (each group keyed by playbook and step). */
export function recommend(query: AnalyticsQuery, steps: readonly GroupMetrics[]): Recommendation[] {
  const out: Recommendation[] = [];
  const days = spanDays(query);
  for (const g of steps) {
    const playbook = g.key.playbook;
    const step = g.key.step;
    if (!playbook || !step) continue;
    const base = { playbook, step };
    const maxLatency = g.approvalLatencyMs.max;
    if (
      g.approved >= THRESHOLDS.automateMinApprovals &&
      g.rejected === 0 &&
      g.expired === 0 &&
      g.optedOut === 0 &&
      maxLatency !== null &&
      maxLatency <= THRESHOLDS.automateMaxLatencyMs
    )
      out.push({
        ...base,
        kind: 'automate-with-objection-window',
        message: `${playbook}/${step}: approved ${g.approved} of ${g.approved} times within ${Math.ceil(maxLatency / 1000)} s over ${days} days: candidate for automatic with an objection window`,
        evidence: { approved: g.approved, requestsDecided: g.approved, maxLatencyMs: maxLatency, days },
        links: evidenceLinks(query, playbook, step, ['approval.granted', 'approval.rejected']),
      });
    if (g.responses >= THRESHOLDS.optOutMinResponses && g.optedOut / g.responses >= THRESHOLDS.optOutShare)
      out.push({
        ...base,
        kind: 'review-step',
        message: `${playbook}/${step}: opted out in ${percent(g.optedOut / g.responses)} of runs (${g.optedOut} of ${g.responses}): review this step`,
        evidence: { optedOut: g.optedOut, responses: g.responses },
        links: evidenceLinks(query, playbook, step, ['optout.engaged']),
      });
    if (g.expired >= THRESHOLDS.expiredMin)
      out.push({
        ...base,
        kind: 'routing-or-staffing',
        message: `${playbook}/${step}: ${g.expired} requests expired unanswered: check routing or staffing`,
        evidence: { expired: g.expired, escalations: g.escalations },
        links: evidenceLinks(query, playbook, step, ['approval.expired', 'approval.escalated']),
      });
    if (g.approved >= THRESHOLDS.adjustedMinApprovals)
      for (const [parameter, count] of Object.entries(g.adjustedInputs).sort(([a], [b]) => (a < b ? -1 : 1)))
        if (count / g.approved >= THRESHOLDS.adjustedShare)
          out.push({
            ...base,
            parameter,
            kind: 'change-default',
            message: `${playbook}/${step}: ${parameter} adjusted in ${percent(count / g.approved)} of approvals (${count} of ${g.approved}): change the default`,
            evidence: { adjusted: count, approved: g.approved },
            links: evidenceLinks(query, playbook, step, ['approval.adjusted', 'approval.granted']),
          });
  }
  return out;
}
