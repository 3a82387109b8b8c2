import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { AUDIT_RETENTION_WORKFLOW, type AuditRetentionInput } from '../../contracts/retention.js';

export interface RetentionScheduleOptions {
  scheduleId: string;
  taskQueue: string;
  /** Unset: audit indices are kept forever, and an existing schedule is removed. */
  retentionMonths?: number;
  /** Cron (UTC) of the runs. */
  cron: string;
}

export type RetentionScheduleOutcome = 'created' | 'updated' | 'removed' | 'none';

/**
 * Create or update the Temporal Schedule that applies the audit retention, idempotently: every
 * worker calls it at start, so the schedule always carries the configuration of the newest
 * deployment (retention, cron, task queue). Turning retention off removes the schedule. The
 * schedule, not a timer in the worker, is what runs it: it survives restarts, runs once however
 * many workers there are, and can be paused, triggered or inspected from the Temporal UI or CLI.
 */
export async function ensureRetentionSchedule(
  client: Client,
  options: RetentionScheduleOptions,
): Promise<RetentionScheduleOutcome> {
  if (options.retentionMonths === undefined) {
    try {
      await client.schedule.getHandle(options.scheduleId).delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'none';
      throw err;
    }
  }
  const spec: ScheduleSpec = { cronExpressions: [options.cron] };
  const input: AuditRetentionInput = { retentionMonths: options.retentionMonths };
  const action: ScheduleOptionsStartWorkflowAction<(i: AuditRetentionInput) => Promise<unknown>> = {
    type: 'startWorkflow',
    workflowType: AUDIT_RETENTION_WORKFLOW,
    workflowId: options.scheduleId,
    taskQueue: options.taskQueue,
    args: [input],
  };
  // A missed run (server or workers down) is caught up within a day; one run at a time.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;
  try {
    await client.schedule.create({ scheduleId: options.scheduleId, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}
