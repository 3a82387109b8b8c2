import type { Client } from '@opensearch-project/opensearch';
import { expiredIndices, type ExpiredIndex } from '../../domain/audit/retention.js';

export interface DeletedIndex extends ExpiredIndex {
  /** How many audit events went with it. */
  events: number;
}

/**
 * The OpenSearch side of audit retention: which monthly indices exist, and deleting one. No
 * ISM/ILM here (the integration distribution has no ISM plugin, and a managed cluster may not
 * either): Interlock deletes by name, from a Temporal Schedule, and audits each deletion.
 */
export function createAuditRetention(client: Client, prefix: string) {
  return {
    async expired(months: number, now: Date): Promise<ExpiredIndex[]> {
      const response = await client.cat.indices({ index: `${prefix}-*`, format: 'json', h: ['index'] });
      const rows = response.body as unknown as Array<{ index: string }>;
      return expiredIndices(
        rows.map((r) => r.index),
        prefix,
        months,
        now,
      );
    },

    /** Delete one index; one already gone (a retried attempt) counts as deleted with 0 events. */
    async delete(expired: ExpiredIndex): Promise<DeletedIndex> {
      let events = 0;
      try {
        const count = await client.count({ index: expired.index });
        events = count.body.count;
        await client.indices.delete({ index: expired.index });
      } catch (err) {
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode !== 404) throw err;
      }
      return { ...expired, events };
    },
  };
}
export type AuditRetention = ReturnType<typeof createAuditRetention>;
