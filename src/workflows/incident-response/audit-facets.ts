import { changedInputs, guardrailKind, msBetween } from '../../domain/analytics/facets.js';
import type { AuditEvent, AuditEventType } from '../../domain/audit/event.js';
import type { ResponseContext } from './state.js';

type Facets = Partial<
  Pick<
    AuditEvent,
    | 'playbookId'
    | 'playbookVersion'
    | 'team'
    | 'actionKind'
    | 'tier'
    | 'latencyMs'
    | 'notifiedLatencyMs'
    | 'mitigatedAfterMs'
    | 'adjustedInputs'
    | 'guardrail'
  >
>;

/** A decision that settles a request (a quorum still open is not one). */
const SETTLING = new Set<AuditEventType>(['approval.granted', 'approval.rejected', 'objection.raised']);

/**
 * What each of this response's audit events carries for analytics (see domain/analytics), from
 * what the response knows when the event is recorded. Plain workflow state, rebuilt by replay.
 * Adjusted input names are remembered per request in memory: a request adjusted in one run and
 * granted after a continue-as-new carries them on its `approval.adjusted` event only.
 */
export function auditFacets(ctx: ResponseContext) {
  const adjusted = new Map<string, Set<string>>();
  let openedAt: string | undefined;
  return (type: AuditEventType, fields: Partial<AuditEvent>): Facets => {
    const { status } = ctx;
    const at = new Date().toISOString(); // workflow time: deterministic on replay
    if (type === 'response.opened') openedAt ??= at;
    const facets: Facets = {};
    if (ctx.playbook) {
      facets.playbookId = ctx.playbook.id;
      facets.playbookVersion = ctx.playbook.version;
      if (ctx.playbook.team) facets.team = ctx.playbook.team;
    }
    const step = fields.stepId ? ctx.stepSpec(fields.stepId) : undefined;
    // An opt-out of an action kind names the kind itself.
    if (step) facets.actionKind = step.action;
    else if (type === 'optout.engaged' && fields.action) facets.actionKind = fields.action;
    const approval = fields.approvalId ? status.approvals.find((a) => a.id === fields.approvalId) : undefined;
    if (approval) facets.tier = approval.tier;
    if (type === 'approval.adjusted' && approval) {
      const names = changedInputs({}, fields.parameters ?? {});
      const seen = adjusted.get(approval.id) ?? new Set<string>();
      for (const n of names) seen.add(n);
      adjusted.set(approval.id, seen);
      facets.adjustedInputs = names;
    }
    const settles = SETTLING.has(type) && fields.outcome !== 'pending';
    if (settles && approval) {
      facets.latencyMs = msBetween(approval.requestedAt, at);
      facets.notifiedLatencyMs = msBetween(approval.notified?.[0]?.at, at);
      const names = adjusted.get(approval.id);
      if (type === 'approval.granted' && names?.size) facets.adjustedInputs = [...names].sort();
    }
    if (type === 'mitigation.succeeded')
      facets.mitigatedAfterMs = msBetween(
        openedAt ?? ctx.audit.events.find((e) => e.type === 'response.opened')?.time,
        at,
      );
    if (type === 'mitigation.blocked' || type === 'guardrail.halted')
      facets.guardrail = guardrailKind(fields.summary ?? '');
    return facets;
  };
}
