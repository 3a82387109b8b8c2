/** The audit-retention workflow a Temporal Schedule starts (src/workflows/retention). */
export const AUDIT_RETENTION_WORKFLOW = 'auditRetention';

export interface AuditRetentionInput {
  /** Monthly audit indices older than this many months are deleted. */
  retentionMonths: number;
}

export interface AuditRetentionResult {
  deleted: Array<{ index: string; month: string; events: number }>;
}
