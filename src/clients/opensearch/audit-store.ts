import { seal, type AuditKeys } from '../../domain/audit/seal.js';
import type { Client } from '@opensearch-project/opensearch';
import type { AuditEvent } from '../../domain/audit/event.js';
import { createAnalytics } from './analytics-query.js';
import {
  AuditIndexingError,
  AuditQueryError,
  indexFor,
  MAPPINGS,
  PIT_KEEP_ALIVE,
  queryBody,
  REFRESH_INTERVAL,
  type AuditQuery,
  type AuditSearchResult,
  type Bucket,
  type Cursor,
} from './audit-query.js';

export {
  AuditIndexingError,
  AuditQueryError,
  indexFor,
  type AuditQuery,
  type AuditSearchResult,
  type Bucket,
} from './audit-query.js';

/**
 * OpenSearch side of the audit trail. Strict mappings: a field nobody planned for is refused,
 * not silently mapped as something unsearchable. Reasons, summaries and names are `text` (found
 * by their words); everything filtered or aggregated is `keyword` (found exactly).
 */
export function createAuditStore(
  client: Client,
  prefix: string,
  options: { replicas?: number; macKeys?: AuditKeys } = {},
) {
  // Sealed as stored: the key stays with Interlock, never in OpenSearch (see domain/audit/seal.ts).
  const sealed = (e: AuditEvent) => (options.macKeys ? seal(e, options.macKeys) : e);
  // One node by default (development, tests); a cluster sets AUDIT_INDEX_REPLICAS.
  const replicas = options.replicas ?? 0;
  const allIndices = `${prefix}-*`;

  /** The whole request body of a search page (the benchmark sends the same body raw). */
  function searchBody(query: AuditQuery, withFacets = true) {
    return {
      ...queryBody(query),
      size: query.limit,
      track_total_hits: true,
      highlight: {
        encoder: 'html',
        pre_tags: ['<mark>'],
        post_tags: ['</mark>'],
        fields: { reason: {}, summary: {}, 'actor.name': {} },
      },
      ...(withFacets
        ? {
            aggs: {
              types: { terms: { field: 'type', size: 50 } },
              actors: { terms: { field: 'actor.id', size: 20 } },
              services: { terms: { field: 'service', size: 20 } },
            },
          }
        : {}),
    };
  }

  function fingerprint(query: AuditQuery): string {
    const { cursor: _c, limit: _l, ...rest } = query;
    return JSON.stringify(rest);
  }

  function decodeCursor(raw: string, query: AuditQuery): Cursor {
    try {
      const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
      if ((cursor.pit !== undefined && typeof cursor.pit !== 'string') || !Array.isArray(cursor.after))
        throw new Error('shape');
      if (cursor.fingerprint !== fingerprint(query))
        throw new AuditQueryError(
          'the cursor belongs to a different query: repeat the same filters, or start again without a cursor',
        );
      return cursor;
    } catch (err) {
      if (err instanceof AuditQueryError) throw err;
      throw new AuditQueryError('the cursor is not one this service issued');
    }
  }

  return {
    /** Composable: settings and mappings are component templates the index template is made of. */
    async installTemplate(): Promise<void> {
      await client.cluster.putComponentTemplate({
        name: `${prefix}-settings`,
        body: {
          template: {
            settings: { number_of_shards: 1, number_of_replicas: replicas, refresh_interval: REFRESH_INTERVAL },
          },
        },
      });
      await client.cluster.putComponentTemplate({
        name: `${prefix}-mappings`,
        body: {
          template: {
            mappings: MAPPINGS,
          },
        },
      });
      await client.indices.putIndexTemplate({
        name: prefix,
        body: {
          index_patterns: [`${prefix}-*`],
          composed_of: [`${prefix}-settings`, `${prefix}-mappings`],
          priority: 100,
        },
      });
      // Indices made by an earlier version get the fields added since (adding fields is allowed;
      // a strict mapping would otherwise refuse every new event in the current month's index).
      await client.indices.putMapping({
        index: allIndices,
        allow_no_indices: true,
        ignore_unavailable: true,
        body: { properties: MAPPINGS.properties } as never,
      });
      await client.indices.putSettings({
        index: allIndices,
        allow_no_indices: true,
        ignore_unavailable: true,
        // Existing indices follow a changed replica count too (replicas can change on a live index).
        body: { index: { refresh_interval: REFRESH_INTERVAL, number_of_replicas: replicas } },
      });
    },

    /** `create` with the event's own ID: a 409 means an earlier attempt already stored it. */
    async indexEvents(events: readonly AuditEvent[], options: { refresh?: 'wait_for' | false } = {}): Promise<void> {
      if (events.length === 0) return;
      const body = events.flatMap((e) => [{ create: { _index: indexFor(prefix, e.time), _id: e.eventId } }, sealed(e)]);
      const response = await client.bulk({ body, refresh: options.refresh ?? 'wait_for' });
      const failures = (response.body.items ?? [])
        .map((item) => item.create)
        .filter((r) => r && r.status !== 201 && r.status !== 409);
      if (failures.length > 0)
        throw new AuditIndexingError(
          `${failures.length} audit event(s) not stored: ${JSON.stringify(failures[0]?.error)}`,
        );
    },

    /**
     * Store one event unless its ID is taken, and say which: true if this call stored it. Events
     * written outside a workflow (alert re-fires) use it as a claim that only one caller can win.
     */
    async createEvent(event: AuditEvent): Promise<boolean> {
      try {
        await client.create({
          index: indexFor(prefix, event.time),
          id: event.eventId,
          body: sealed(event),
          refresh: 'wait_for',
        });
        return true;
      } catch (err) {
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409) return false;
        throw err;
      }
    },

    queryBody,
    /** Aggregations over the same indices (analytics-query.ts). */
    analytics: createAnalytics(client, prefix),
    /** The seal keys verify checks events with (undefined: events are not sealed). */
    macKeys: options.macKeys,

    searchBody,

    async search(query: AuditQuery): Promise<AuditSearchResult> {
      const cursor = query.cursor ? decodeCursor(query.cursor, query) : undefined;
      // Most searches never ask for page 2, so page 1 opens nothing. The point in time is
      // opened when the second page is asked for, and every later page reads that snapshot.
      const pit = cursor
        ? (cursor.pit ??
          (
            await client.createPit({
              index: [allIndices],
              keep_alive: PIT_KEEP_ALIVE,
              allow_partial_pit_creation: false,
            })
          ).body.pit_id)
        : undefined;
      const body = {
        ...searchBody(query, !cursor),
        ...(cursor ? { pit: { id: pit, keep_alive: PIT_KEEP_ALIVE }, search_after: cursor.after } : {}),
      };
      let response;
      try {
        // The client's request types lag OpenSearch's features (PIT, encoders): the bodies are plain JSON.
        response = cursor
          ? await client.search({ body: body as never })
          : await client.search({
              index: allIndices,
              body: body as never,
              ignore_unavailable: true,
              allow_no_indices: true,
            });
      } catch (err) {
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        if (cursor && (status === 404 || status === 400))
          throw new AuditQueryError(
            'the cursor has expired (pages stay available for 2 minutes): start again without a cursor',
          );
        throw err;
      }
      const hits = response.body.hits;
      const total = typeof hits.total === 'number' ? hits.total : (hits.total?.value ?? 0);
      const events = hits.hits.map((h) => ({
        ...(h._source as AuditEvent),
        ...(h.highlight ? { highlight: h.highlight as Record<string, string[]> } : {}),
      }));
      const buckets = (name: string): Bucket[] =>
        (
          (response.body.aggregations?.[name] as { buckets?: Array<{ key: string; doc_count: number }> } | undefined)
            ?.buckets ?? []
        ).map((b) => ({ key: b.key, count: b.doc_count }));

      const last = hits.hits.at(-1);
      const more =
        last?.sort !== undefined && events.length === query.limit && (cursor !== undefined || events.length < total);
      if (!more && pit) await client.deletePit({ body: { pit_id: [pit] } }).catch(() => undefined);
      const nextCursor = more
        ? Buffer.from(
            JSON.stringify({ pit, after: last!.sort!, fingerprint: fingerprint(query) } satisfies Cursor),
          ).toString('base64url')
        : undefined;
      return {
        total,
        events,
        ...(cursor
          ? {}
          : { facets: { types: buckets('types'), actors: buckets('actors'), services: buckets('services') } }),
        ...(nextCursor ? { nextCursor } : {}),
      };
    },

    /** Every event of a query in order, a page at a time inside one point in time (for exports). */
    async *scan(query: Omit<AuditQuery, 'cursor' | 'limit'>, pageSize = 1000): AsyncGenerator<AuditEvent> {
      const pit = (
        await client.createPit({ index: [allIndices], keep_alive: PIT_KEEP_ALIVE, allow_partial_pit_creation: false })
      ).body.pit_id;
      try {
        let after: unknown[] | undefined;
        for (;;) {
          const body = {
            ...queryBody({ ...query, limit: pageSize }),
            size: pageSize,
            pit: { id: pit, keep_alive: PIT_KEEP_ALIVE },
            ...(after ? { search_after: after } : {}),
          };
          const response = await client.search({ body: body as never });
          const hits = response.body.hits.hits;
          for (const h of hits) yield h._source as AuditEvent;
          if (hits.length < pageSize) return;
          after = hits.at(-1)!.sort;
        }
      } finally {
        await client.deletePit({ body: { pit_id: [pit] } }).catch(() => undefined);
      }
    },

    /**
     * All events of one incident, in the order they happened. Read in pages (search_after): a
     * long-lived response holds more than one search may return (10,000).
     */
    async incidentEvents(incidentId: string): Promise<AuditEvent[]> {
      const events: AuditEvent[] = [];
      let after: unknown[] | undefined;
      for (;;) {
        const response = await client.search({
          index: allIndices,
          body: {
            query: { term: { incidentId } },
            sort: TRAIL_ORDER,
            size: 5000,
            ...(after ? { search_after: after } : {}),
          } as never,
          ignore_unavailable: true,
          allow_no_indices: true,
        });
        const hits = response.body.hits.hits;
        events.push(...hits.map((h) => h._source as AuditEvent));
        if (hits.length < 5000) return events;
        after = hits.at(-1)!.sort;
      }
    },

    /**
     * One page of an incident's trail, newest last: the `limit` events before the cursor (the
     * newest when there is none). `nextBefore` fetches the page before this one.
     */
    async incidentTimelinePage(
      incidentId: string,
      page: { limit: number; before?: string },
    ): Promise<{ events: AuditEvent[]; total: number; nextBefore?: string }> {
      const after = page.before === undefined ? undefined : decodeTrailCursor(page.before);
      const response = await client.search({
        index: allIndices,
        body: {
          query: { term: { incidentId } },
          sort: [{ time: 'desc' }, { sequence: 'desc' }, { eventId: 'desc' }],
          size: page.limit,
          track_total_hits: true,
          ...(after ? { search_after: after } : {}),
        } as never,
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      const hits = response.body.hits.hits;
      const total = response.body.hits.total;
      const oldest = hits.at(-1);
      return {
        events: hits.map((h) => h._source as AuditEvent).reverse(),
        total: typeof total === 'number' ? total : (total?.value ?? hits.length),
        ...(oldest && hits.length === page.limit ? { nextBefore: encodeTrailCursor(oldest.sort!) } : {}),
      };
    },
  };
}
export type AuditStore = ReturnType<typeof createAuditStore>;

/** The order of a trail: time, then the chain's sequence, then the ID (unique, so no ties). */
const TRAIL_ORDER = [{ time: 'asc' }, { sequence: 'asc' }, { eventId: 'asc' }] as const;

function encodeTrailCursor(sort: unknown[]): string {
  return Buffer.from(JSON.stringify(sort)).toString('base64url');
}

/** A cursor this store did not hand out is a 400, never a 500. */
function decodeTrailCursor(cursor: string): unknown[] {
  try {
    const sort = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(sort) && sort.length === TRAIL_ORDER.length) return sort;
  } catch {
    // reported below
  }
  throw new AuditQueryError('before: not a cursor from an earlier page of this timeline');
}
