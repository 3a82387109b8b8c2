/**
 * Analytics over the audit trail, computed by OpenSearch: a filter on the time range and the
 * event types that matter, terms buckets per group, and in each a handful of filter counts, one
 * distinct count and percentiles over durations recorded at write time (latencyMs, …). Nothing
 * is read into Node but the buckets.
 */
import type { Client } from '@opensearch-project/opensearch';
import { recommend } from '../../domain/analytics/recommendations.js';
import type {
  AnalyticsQuery,
  AnalyticsReport,
  GroupBy,
  GroupMetrics,
  Percentiles,
} from '../../domain/analytics/report.js';

/** Groups per level of a report (the largest first); the rest are counted in `otherGroups`. */
export const MAX_GROUPS = 100;

const type = (t: string) => ({ term: { type: t } });
const all = (...filter: unknown[]) => ({ bool: { filter } });
const anyOf = (...should: unknown[]) => ({ bool: { should, minimum_should_match: 1 } });
const granted = all(type('approval.granted'), { term: { outcome: 'approved' } });

/** The events analytics reads; everything else in the range is skipped by the filter. */
export const ANALYTICS_TYPES = [
  'playbook.selected',
  'step.started',
  'policy.decided',
  'objection.window-passed',
  'objection.raised',
  'approval.granted',
  'approval.rejected',
  'approval.expired',
  'approval.escalated',
  'approval.adjusted',
  'optout.engaged',
  'mitigation.succeeded',
  'mitigation.compensated',
  'mitigation.compensation-failed',
  'mitigation.blocked',
  'guardrail.halted',
];

const COUNTS = {
  automatic: anyOf(all(type('policy.decided'), { term: { outcome: 'auto' } }), type('objection.window-passed')),
  approved: granted,
  rejected: { terms: { type: ['approval.rejected', 'objection.raised'] } },
  expired: type('approval.expired'),
  escalations: type('approval.escalated'),
  adjusted: all(granted, { exists: { field: 'adjustedInputs' } }),
  mitigated: type('mitigation.succeeded'),
  compensations: { terms: { type: ['mitigation.compensated', 'mitigation.compensation-failed'] } },
  killSwitchBlocks: { term: { guardrail: 'kill-switch' } },
  guardrailBlocks: { terms: { guardrail: ['pause', 'rule', 'freeze'] } },
};
type CountName = keyof typeof COUNTS;

// HDR histograms: several times cheaper per document than t-digest here, within 0.1% (3 digits).
const percentiles = (field: string) => ({
  percentiles: { field, percents: [50, 95], hdr: { number_of_significant_value_digits: 3 } },
});
// Below the threshold the distinct count is exact; above it, within a few percent.
const distinctResponses = { cardinality: { field: 'workflowId', precision_threshold: 10_000 } };

const METRICS = {
  responses: distinctResponses,
  counts: { filters: { filters: COUNTS } },
  optedOut: { filter: type('optout.engaged'), aggs: { runs: distinctResponses } },
  adjustedInputs: { filter: granted, aggs: { names: { terms: { field: 'adjustedInputs', size: 50 } } } },
  latency: percentiles('latencyMs'),
  latencyMax: { max: { field: 'latencyMs' } },
  notified: percentiles('notifiedLatencyMs'),
  mitigate: percentiles('mitigatedAfterMs'),
};

/** What recommendations read per step (recommendations.ts): the rest would only cost time. */
const STEP_METRICS = {
  responses: distinctResponses,
  counts: {
    filters: {
      filters: {
        approved: COUNTS.approved,
        rejected: COUNTS.rejected,
        expired: COUNTS.expired,
        escalations: COUNTS.escalations,
      },
    },
  },
  optedOut: METRICS.optedOut,
  adjustedInputs: METRICS.adjustedInputs,
  latencyMax: METRICS.latencyMax,
};

const FIELD: Record<GroupBy, string> = {
  playbook: 'playbookId',
  step: 'stepId',
  action: 'actionKind',
  service: 'service',
  team: 'team',
};

/** Terms buckets for a grouping; a step is only unique within its playbook, so it nests in one. */
function groupAggs(groupBy: GroupBy, metrics: object = METRICS) {
  const terms = (field: string, aggs: unknown) => ({ terms: { field, size: MAX_GROUPS }, aggs });
  if (groupBy === 'step') return terms('playbookId', { inner: terms('stepId', metrics) });
  return terms(FIELD[groupBy], metrics);
}

/** The whole search body (the benchmark sends it raw too). */
export function analyticsBody(query: AnalyticsQuery) {
  const filter: unknown[] = [
    { range: { time: { gte: query.from, lt: query.to } } },
    { terms: { type: ANALYTICS_TYPES } },
  ];
  if (query.playbook) filter.push({ term: { playbookId: query.playbook } });
  if (query.service) filter.push({ term: { service: query.service } });
  if (query.team) filter.push({ term: { team: query.team } });
  if (query.environment) filter.push({ term: { environment: query.environment } });
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { filter } },
    aggs: {
      ...METRICS,
      groups: groupAggs(query.groupBy),
      // Recommendations are about steps: computed alongside when the report is grouped otherwise.
      ...(query.groupBy === 'step' ? {} : { steps: groupAggs('step', STEP_METRICS) }),
    },
  };
}

interface Agg {
  value?: number | null;
  values?: Record<string, number | null>;
  doc_count?: number;
  buckets?: unknown;
  sum_other_doc_count?: number;
  [name: string]: unknown;
}
interface TermsBucket extends Agg {
  key: string;
}

const pct = (a: Agg | undefined): Percentiles => ({
  p50: round(a?.values?.['50.0']),
  p95: round(a?.values?.['95.0']),
});
const round = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);

function metricsOf(a: Agg, key: GroupMetrics['key']): GroupMetrics {
  const counts = ((a.counts as Agg | undefined)?.buckets ?? {}) as Record<CountName, Agg>;
  const count = (n: CountName) => counts[n]?.doc_count ?? 0;
  const adjusted = (((a.adjustedInputs as Agg)?.names as Agg)?.buckets ?? []) as TermsBucket[];
  return {
    key,
    responses: (a.responses as Agg)?.value ?? 0,
    automatic: count('automatic'),
    approved: count('approved'),
    rejected: count('rejected'),
    optedOut: ((a.optedOut as Agg)?.runs as Agg)?.value ?? 0,
    expired: count('expired'),
    escalations: count('escalations'),
    adjusted: count('adjusted'),
    adjustedInputs: Object.fromEntries(adjusted.map((b) => [b.key, b.doc_count ?? 0])),
    mitigated: count('mitigated'),
    compensations: count('compensations'),
    killSwitchBlocks: count('killSwitchBlocks'),
    guardrailBlocks: count('guardrailBlocks'),
    approvalLatencyMs: { ...pct(a.latency as Agg), max: round((a.latencyMax as Agg)?.value) },
    notifiedLatencyMs: pct(a.notified as Agg),
    timeToMitigateMs: pct(a.mitigate as Agg),
  };
}

/** Buckets to metrics, flattening playbook → step; and whether groups were left out. */
function groupsOf(agg: Agg | undefined, groupBy: GroupBy): { groups: GroupMetrics[]; other: boolean } {
  const buckets = (agg?.buckets ?? []) as TermsBucket[];
  let other = Boolean(agg?.sum_other_doc_count);
  if (groupBy !== 'step') return { groups: buckets.map((b) => metricsOf(b, { [groupBy]: b.key })), other };
  const groups: GroupMetrics[] = [];
  for (const p of buckets) {
    const inner = p.inner as Agg;
    if (inner.sum_other_doc_count) other = true;
    for (const s of (inner.buckets ?? []) as TermsBucket[]) groups.push(metricsOf(s, { playbook: p.key, step: s.key }));
  }
  return { groups, other };
}

export function reportFrom(query: AnalyticsQuery, aggregations: Record<string, Agg> | undefined): AnalyticsReport {
  const aggs = aggregations ?? {};
  const { groups, other } = groupsOf(aggs.groups, query.groupBy);
  const steps = query.groupBy === 'step' ? groups : groupsOf(aggs.steps, 'step').groups;
  return {
    query,
    total: metricsOf(aggs as Agg, {}),
    groups,
    recommendations: recommend(query, steps),
    truncated: other,
  };
}

export function createAnalytics(client: Client, prefix: string) {
  return {
    body: analyticsBody,
    async report(query: AnalyticsQuery): Promise<AnalyticsReport> {
      const response = await client.search({
        index: `${prefix}-*`,
        body: analyticsBody(query) as never,
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      return reportFrom(query, response.body.aggregations as Record<string, Agg> | undefined);
    },
  };
}
export type Analytics = ReturnType<typeof createAnalytics>;
