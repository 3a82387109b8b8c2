import { ApplicationFailure } from '@temporalio/activity';
import type { AuditRetention, DeletedIndex } from '../clients/opensearch/audit-retention.js';
import type { ExpiredIndex } from '../domain/audit/retention.js';

/**
 * Activities of the audit-retention workflow. A worker built without a retention client (test
 * harnesses) still registers them, failing without retries: a schedule pointed at such a worker
 * says why instead of retrying forever.
 */
export function createRetentionActivities(retention: AuditRetention | undefined) {
  const client = (): AuditRetention => {
    if (retention) return retention;
    throw ApplicationFailure.create({
      type: 'RetentionNotConfigured',
      message: 'this worker has no audit retention client',
      nonRetryable: true,
    });
  };
  return {
    /** `now` comes from the workflow (its deterministic clock), so a retry judges the same instant. */
    async listExpiredAuditIndices(retentionMonths: number, now: string): Promise<ExpiredIndex[]> {
      return client().expired(retentionMonths, new Date(now));
    },

    async deleteAuditIndex(expired: ExpiredIndex): Promise<DeletedIndex> {
      return client().delete(expired);
    },
  };
}
export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
