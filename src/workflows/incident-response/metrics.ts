import { metricMeter } from '@temporalio/workflow';
import { RESPONSE_METRICS } from '../../contracts/metrics.js';
import type { AuditEvent } from '../../domain/audit/event.js';
import type { ResponseContext } from './state.js';

/**
 * Interlock's own counters, derived from the audit events a response records: every decision,
 * opt-out, block and mitigation outcome is already an audit event, so counting them where they
 * are recorded keeps the metrics and the audit trail from drifting apart.
 *
 * Why the workflow metric meter (and not prom-client in an activity, or a custom sink):
 * - Workflow code cannot reach prom-client (the sandbox has no Node modules), and counting in the
 *   indexing activity would count again on each retry and lag while OpenSearch is down.
 * - `metricMeter` goes out through the SDK's built-in metrics sink. Sinks are not commands, so
 *   this changes no workflow history (no `patched()` needed; test/unit/replay.test.ts checks), and
 *   the SDK drops every emission while `isReplaying`: a response replayed after a worker restart,
 *   a cache eviction or on another worker is not counted twice.
 * - Each worker counts the workflow tasks it executed; Prometheus sums across workers. A workflow
 *   task that fails after counting and is retried counts again: these are operational rates, the
 *   audit trail is the exact record.
 *
 * The worker adds `namespace`, `task_queue` and `workflow_type` to every series. Labels are
 * bounded: playbook, step and action ids come from the playbooks; channels and outcomes are enums.
 */
export function countAuditEvent(ctx: ResponseContext, event: AuditEvent): void {
  switch (event.type) {
    case 'approval.requested':
    case 'objection.window-opened': {
      const approval = approvalOf(ctx, event);
      counter('approvalRequests', 'Approval requests and objection windows opened').add(1, {
        kind: event.type === 'approval.requested' ? 'approval' : 'objection',
        tier: approval?.tier ?? 'unknown',
        playbook: ctx.playbook?.id ?? 'unknown',
      });
      return;
    }
    case 'approval.granted':
    case 'approval.rejected':
    case 'objection.raised':
    case 'approval.expired':
    case 'objection.window-passed':
      return countDecision(ctx, event);
    case 'optout.engaged':
      counter('optOuts', 'Opt-outs engaged').add(1, {
        scope: event.stepId ? 'step' : event.action ? 'action' : 'response',
        mode: event.outcome ?? 'unknown',
        channel: event.actor.channel,
      });
      return;
    case 'mitigation.blocked':
    case 'guardrail.halted':
      counter('guardrailBlocks', 'Mitigations held or interrupted by a guardrail or the safety check').add(1, {
        ...stepTags(ctx, event),
        stage: event.type === 'guardrail.halted' ? 'interrupted' : 'held',
      });
      return;
    case 'mitigation.succeeded':
    case 'mitigation.failed':
    case 'mitigation.cancelled':
    case 'mitigation.simulated':
    case 'mitigation.compensated':
    case 'mitigation.compensation-failed':
      counter('mitigations', 'Mitigations that ended, by outcome').add(1, {
        ...stepTags(ctx, event),
        outcome: event.type.slice('mitigation.'.length),
      });
      return;
    default:
      return;
  }
}

function countDecision(ctx: ResponseContext, event: AuditEvent): void {
  const approval = approvalOf(ctx, event);
  const decision = {
    'approval.granted': 'approve',
    'approval.rejected': 'reject',
    'objection.raised': 'object',
    'approval.expired': 'expired',
    'objection.window-passed': 'window-passed',
  }[event.type as string]!;
  const outcome = approval?.state ?? event.outcome ?? 'unknown';
  counter('decisions', 'Decisions on approval requests and objection windows').add(1, {
    decision,
    outcome,
    channel: event.actor.channel,
  });
  // Wait time only once the request is settled (a quorum still open is not).
  if (approval && outcome !== 'pending') {
    const waited = Math.max(0, (Date.parse(event.time) - Date.parse(approval.requestedAt)) / 1000);
    metricMeter
      .createHistogram(RESPONSE_METRICS.approvalWait, 'float', 's', 'From an approval request to what settled it')
      .record(waited, { outcome, kind: approval.kind });
  }
}

function approvalOf(ctx: ResponseContext, event: AuditEvent) {
  return event.approvalId ? ctx.status.approvals.find((a) => a.id === event.approvalId) : undefined;
}

function stepTags(ctx: ResponseContext, event: AuditEvent) {
  return {
    playbook: ctx.playbook?.id ?? 'unknown',
    step: event.stepId ?? 'unknown',
    action: event.action ?? (event.stepId && ctx.stepSpec(event.stepId)?.action) ?? 'unknown',
  };
}

/** Created where used: the workflow meter only works inside workflow context (not at import). */
function counter(key: keyof typeof RESPONSE_METRICS, description: string) {
  return metricMeter.createCounter(RESPONSE_METRICS[key], undefined, description);
}
