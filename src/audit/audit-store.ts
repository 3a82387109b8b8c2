import type { Client } from '@opensearch-project/opensearch';
import type { AuditEvent } from '../domain/audit/event.js';

export interface AuditSearchQuery {
  q?: string;
  incidentId?: string;
  limit: number;
}

export interface AuditSearchResult {
  total: number;
  events: AuditEvent[];
}

export class AuditIndexingError extends Error {
  override name = 'AuditIndexingError';
}

/** Monthly indices chosen by the event's own time, so a late retry lands beside its siblings. */
export function indexFor(prefix: string, time: string): string {
  const d = new Date(time);
  return `${prefix}-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const keyword = { type: 'keyword' } as const;
const text = { type: 'text', analyzer: 'standard' } as const;

/**
 * OpenSearch side of the audit trail. Strict mappings: a field nobody planned for is refused,
 * not silently mapped as something unsearchable.
 */
export function createAuditStore(client: Client, prefix: string) {
  return {
    async installTemplate(): Promise<void> {
      await client.indices.putIndexTemplate({
        name: prefix,
        body: {
          index_patterns: [`${prefix}-*`],
          template: {
            settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
            mappings: {
              dynamic: 'strict',
              properties: {
                eventId: keyword,
                sequence: { type: 'integer' },
                time: { type: 'date' },
                incidentId: keyword,
                workflowId: keyword,
                type: keyword,
                actor: { properties: { id: keyword, name: { ...text, fields: { raw: keyword } }, channel: keyword } },
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
              },
            },
          },
        },
      });
    },

    /** `create` with the event's own ID: a 409 means an earlier attempt already stored it. */
    async indexEvents(events: readonly AuditEvent[]): Promise<void> {
      if (events.length === 0) return;
      const body = events.flatMap((e) => [{ create: { _index: indexFor(prefix, e.time), _id: e.eventId } }, e]);
      const response = await client.bulk({ body, refresh: 'wait_for' });
      const failures = (response.body.items ?? [])
        .map((item) => item.create)
        .filter((r) => r && r.status !== 201 && r.status !== 409);
      if (failures.length > 0) {
        throw new AuditIndexingError(`${failures.length} audit event(s) not stored: ${JSON.stringify(failures[0]?.error)}`);
      }
    },

    async search(query: AuditSearchQuery): Promise<AuditSearchResult> {
      const filter = query.incidentId ? [{ term: { incidentId: query.incidentId } }] : [];
      const must = query.q
        ? [{ simple_query_string: { query: query.q, fields: ['reason', 'summary', 'actor.name'], default_operator: 'and' as const } }]
        : [{ match_all: {} }];
      const response = await client.search({
        index: `${prefix}-*`,
        body: {
          query: { bool: { must, filter } },
          sort: query.q ? [{ _score: 'desc' }, { time: 'desc' }] : [{ time: 'desc' }],
          size: query.limit,
          track_total_hits: true,
        },
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      const hits = response.body.hits;
      const total = typeof hits.total === 'number' ? hits.total : (hits.total?.value ?? 0);
      return { total, events: hits.hits.map((h) => h._source as AuditEvent) };
    },
  };
}
export type AuditStore = ReturnType<typeof createAuditStore>;
