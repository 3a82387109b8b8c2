import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { RetentionActivities } from '../../activities/retention.js';
import type { AuditRetentionInput, AuditRetentionResult } from '../../contracts/retention.js';
import { AuditTrail } from '../shared/audit-trail.js';

const { indexAuditEvents } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});
const { listExpiredAuditIndices, deleteAuditIndex } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 10 },
});

const SYSTEM = { id: 'interlock', name: 'Interlock automation', channel: 'system' } as const;

/**
 * Apply the audit retention once (a Temporal Schedule runs it daily): delete each monthly audit
 * index older than the retention, and record every deletion in the audit trail itself (in the
 * current month's index, which retention never touches), so removing evidence leaves evidence.
 */
export async function auditRetention(input: AuditRetentionInput): Promise<AuditRetentionResult> {
  const { workflowId, runId } = workflowInfo();
  const trail = new AuditTrail(
    { incidentId: 'audit-retention', workflowId, runKey: runId },
    () => ({ service: '-', environment: '-', severity: '-' }),
    indexAuditEvents,
  );
  trail.start();
  const expired = await listExpiredAuditIndices(input.retentionMonths, new Date().toISOString());
  const deleted: AuditRetentionResult['deleted'] = [];
  for (const index of expired) {
    const done = await deleteAuditIndex(index);
    deleted.push(done);
    trail.record('audit.retention-applied', {
      actor: SYSTEM,
      summary: `Deleted audit index ${done.index} (${done.month}, ${done.events} events): older than the ${input.retentionMonths}-month retention`,
      action: 'audit.delete-index',
      parameters: { index: done.index, month: done.month, events: done.events, retentionMonths: input.retentionMonths },
      outcome: 'deleted',
    });
  }
  await trail.flush();
  return { deleted };
}
