/** The audit trail's shape in OpenSearch and the queries over it (pure: no client here). */
import type { AuditEvent } from '../../domain/audit/event.js';

export interface AuditQuery {
  q?: string;
  incidentId?: string;
  actor?: string;
  types?: string[];
  service?: string;
  environment?: string;
  channel?: string;
  playbook?: string;
  step?: string;
  team?: string;
  from?: string;
  to?: string;
  sort: 'relevance' | 'newest' | 'oldest';
  limit: number;
  /** Opaque: continues a previous search where its page ended. */
  cursor?: string;
}

export interface AuditSearchResult {
  total: number;
  events: Array<AuditEvent & { highlight?: Record<string, string[]> }>;
  facets?: { types: Bucket[]; actors: Bucket[]; services: Bucket[] };
  nextCursor?: string;
}
export interface Bucket {
  key: string;
  count: number;
}

export class AuditIndexingError extends Error {
  override name = 'AuditIndexingError';
}
export class AuditQueryError extends Error {
  override name = 'AuditQueryError';
}

/** Monthly indices chosen by the event's own time, so a late retry lands beside its siblings. */
export function indexFor(prefix: string, time: string): string {
  const d = new Date(time);
  return `${prefix}-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const keyword = { type: 'keyword' } as const;
const text = { type: 'text', analyzer: 'standard' } as const;
export const PIT_KEEP_ALIVE = '2m';
/**
 * Indexing waits for a refresh (so an event is searchable once its activity completes); a short
 * interval keeps "decided" to "findable by an auditor" well under a second and a half, and audit
 * volume is small enough that frequent refreshes cost little.
 */
export const REFRESH_INTERVAL = '250ms';

export const MAPPINGS = {
  dynamic: 'strict',
  properties: {
    eventId: keyword,
    sequence: { type: 'integer' },
    time: { type: 'date' },
    incidentId: keyword,
    workflowId: keyword,
    type: keyword,
    // `verified`: the gateway's signature vouched for the person (absent on events from before).
    actor: {
      properties: {
        id: keyword,
        name: { ...text, fields: { raw: keyword } },
        channel: keyword,
        verified: { type: 'boolean' },
      },
    },
    summary: text,
    reason: text,
    service: keyword,
    environment: keyword,
    severity: keyword,
    stepId: keyword,
    approvalId: keyword,
    action: keyword,
    // Kept for the record, never searched: parameters vary per action.
    parameters: { type: 'object', enabled: false },
    outcome: keyword,
    causedBy: keyword,
    prevHash: { type: 'keyword', index: false },
    hash: { type: 'keyword', index: false },
    mac: { type: 'keyword', index: false },
    macKeyId: keyword,
    // Analytics facets and durations (src/domain/analytics/): aggregated, never searched as words.
    playbookId: keyword,
    playbookVersion: { type: 'integer' },
    team: keyword,
    actionKind: keyword,
    tier: keyword,
    latencyMs: { type: 'long' },
    notifiedLatencyMs: { type: 'long' },
    mitigatedAfterMs: { type: 'long' },
    adjustedInputs: keyword,
    guardrail: keyword,
  },
} as const;

/**
 * Events of one response often share a millisecond: the sequence keeps them in the order they
 * happened, and the unique event ID last means search_after never skips or repeats a tie.
 */
function sortFor(sort: AuditQuery['sort']) {
  if (sort === 'oldest') return [{ time: 'asc' }, { sequence: 'asc' }, { eventId: 'asc' }];
  if (sort === 'newest') return [{ time: 'desc' }, { sequence: 'desc' }, { eventId: 'asc' }];
  return [{ _score: 'desc' }, { time: 'desc' }, { sequence: 'desc' }, { eventId: 'asc' }];
}

export interface Cursor {
  /** Absent after the first page: the point in time is opened only when a second page is asked for. */
  pit?: string;
  after: unknown[];
  /** The query the cursor belongs to: a cursor replayed with other filters is refused. */
  fingerprint: string;
}

/** The OpenSearch query for an audit search: filters exact, words in reasons, summaries and names. */
export function queryBody(query: AuditQuery) {
  const filter: unknown[] = [];
  if (query.incidentId) filter.push({ term: { incidentId: query.incidentId } });
  if (query.actor) filter.push({ term: { 'actor.id': query.actor } });
  if (query.types?.length) filter.push({ terms: { type: query.types } });
  if (query.service) filter.push({ term: { service: query.service } });
  if (query.environment) filter.push({ term: { environment: query.environment } });
  if (query.channel) filter.push({ term: { 'actor.channel': query.channel } });
  if (query.playbook) filter.push({ term: { playbookId: query.playbook } });
  if (query.step) filter.push({ term: { stepId: query.step } });
  if (query.team) filter.push({ term: { team: query.team } });
  if (query.from || query.to)
    filter.push({
      range: { time: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lte: query.to } : {}) } },
    });
  // simple_query_string never fails on syntax: a stray operator is read as a word, never a 500.
  const must = query.q
    ? [
        {
          simple_query_string: {
            query: query.q,
            fields: ['reason', 'summary', 'actor.name'],
            default_operator: 'and' as const,
          },
        },
      ]
    : [{ match_all: {} }];
  return {
    query: { bool: { must, filter } },
    sort: sortFor(query.q ? query.sort : query.sort === 'relevance' ? 'newest' : query.sort),
  };
}
