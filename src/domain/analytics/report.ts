/**
 * What analytics answers: per playbook, step, action kind, service or team over a time range,
 * how responses went (computed by OpenSearch aggregations over the audit trail; see
 * src/clients/opensearch/analytics-query.ts). Pure types and the rules shared by every surface.
 */
export const GROUP_BY = ['playbook', 'step', 'action', 'service', 'team'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface AnalyticsQuery {
  /** ISO times: events at or after `from` and before `to`. */
  from: string;
  to: string;
  groupBy: GroupBy;
  playbook?: string;
  service?: string;
  team?: string;
  environment?: string;
}

/** p50 and p95 in milliseconds; null when nothing in the group had that duration. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface GroupMetrics {
  /** What the group is: the playbook (and step), the action kind, the service or the team. */
  key: { playbook?: string; step?: string; action?: string; service?: string; team?: string };
  /** Responses with at least one event in the group (distinct workflows). */
  responses: number;
  /** Mitigations run without asking (policy auto) or after an objection window nobody used. */
  automatic: number;
  /** Requests granted (the last approval of the quorum). */
  approved: number;
  /** Requests rejected, objections raised. */
  rejected: number;
  /** Responses in which someone opted out of what the group covers. */
  optedOut: number;
  /** Requests nobody answered in time (failed closed). */
  expired: number;
  escalations: number;
  /** Granted requests whose inputs a person changed at approval, and how often each input was. */
  adjusted: number;
  adjustedInputs: Record<string, number>;
  mitigated: number;
  compensations: number;
  killSwitchBlocks: number;
  /** Blocks and halts by a pause, exclusion rule or change freeze. */
  guardrailBlocks: number;
  /** Request to decision, with the slowest; first notification to decision; opened to mitigated. */
  approvalLatencyMs: Percentiles & { max: number | null };
  notifiedLatencyMs: Percentiles;
  timeToMitigateMs: Percentiles;
}

export interface Recommendation {
  kind: 'automate-with-objection-window' | 'review-step' | 'routing-or-staffing' | 'change-default';
  playbook: string;
  step: string;
  parameter?: string;
  /** One sentence a person reads: the finding, then what to consider. Never applied by itself. */
  message: string;
  /** The figures the finding rests on. */
  evidence: Record<string, number>;
  /** The audit events behind it: an API search and the console's audit page with the same filters. */
  links: { api: string; console: string };
}

export interface AnalyticsReport {
  query: AnalyticsQuery;
  total: GroupMetrics;
  groups: GroupMetrics[];
  recommendations: Recommendation[];
  /** More groups matched than a report returns (the largest, by events, come first). */
  truncated: boolean;
}

/** Default window: the last 30 days. The widest a query may span (bounds the work per query). */
export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 400;
const DAY_MS = 86_400_000;

/** The time range checked: a clear sentence for a 400, or the range. */
export function timeRange(
  from: string | undefined,
  to: string | undefined,
  nowMs: number,
): { from: string; to: string } | { problem: string } {
  const toMs = to ? Date.parse(to) : nowMs;
  const fromMs = from ? Date.parse(from) : toMs - DEFAULT_DAYS * DAY_MS;
  if (!Number.isFinite(toMs)) return { problem: `to: "${to}" is not an ISO 8601 time` };
  if (!Number.isFinite(fromMs)) return { problem: `from: "${from}" is not an ISO 8601 time` };
  if (fromMs >= toMs) return { problem: 'from must be before to' };
  if (toMs - fromMs > MAX_DAYS * DAY_MS) return { problem: `the range may span at most ${MAX_DAYS} days` };
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
}

export function spanDays(query: Pick<AnalyticsQuery, 'from' | 'to'>): number {
  return Math.max(1, Math.round((Date.parse(query.to) - Date.parse(query.from)) / DAY_MS));
}
