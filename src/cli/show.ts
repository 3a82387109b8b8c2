import type { InputSpec } from '../domain/playbook/playbook.js';
import type { ApprovalRequest, ResponseStatus } from '../domain/response/status.js';
import { kv, relative, table } from './output.js';

/** The status view as a person reads it: what is happening, what waits on them, what holds it back. */
export function describeStatus(s: ResponseStatus, now = Date.now()): string {
  const out: string[] = [];
  out.push(`${s.dryRun ? 'DRY RUN: ' : ''}${s.incidentId}: ${s.title}`);
  out.push(
    `phase ${s.phase}  service ${s.service}  environment ${s.environment}  severity ${s.severity}` +
      (s.playbook ? `  playbook ${s.playbook.id} v${s.playbook.version}` : '') +
      (s.team ? `  team ${s.team}` : ''),
  );
  if (s.blockedBy?.length) out.push(`blocked by: ${s.blockedBy.join('; ')}`);
  for (const u of (s.unknownEffects ?? []).filter((x) => x.state === 'open')) {
    out.push(
      '',
      `NEEDS A PERSON: ${u.stepId} (${u.action}), started ${u.startedAt}, lost at ${u.lostAt} (${u.cause}): effect UNKNOWN, not retried`,
    );
    for (const o of u.options)
      out.push(`  interlock settle ${s.incidentId} ${u.stepId} --choice ${o.choice} --reason …   ${o.does}`);
  }

  out.push('', 'Steps');
  out.push(
    indent(
      table(
        ['STEP', 'KIND', 'ACTION', 'STATE', 'NOTE'],
        s.steps.map((st) => [st.id, st.kind, st.action, st.state, st.note ?? st.error ?? '']),
      ),
    ),
  );

  const pending = s.approvals.filter((a) => a.state === 'pending');
  out.push('', pending.length ? 'Pending approvals' : 'Pending approvals: none');
  for (const a of pending) out.push(...describeApproval(a, now).map((l) => `  ${l}`));

  const decided = s.approvals.filter((a) => a.state !== 'pending');
  if (decided.length) {
    out.push('', 'Other approval requests');
    for (const a of decided)
      out.push(`  ${a.id} (${a.stepId}): ${a.state}${decisionsText(a) ? ` — ${decisionsText(a)}` : ''}`);
  }

  const optOuts = s.optOuts.filter((o) => o.active);
  out.push('', optOuts.length ? 'Active opt-outs' : 'Active opt-outs: none');
  for (const o of optOuts)
    out.push(`  ${o.id}: ${scopeText(o.scope)} ${o.mode} by ${o.actor.name} (${o.actor.channel}) — ${o.reason}`);
  if (s.overrides.length) {
    out.push('', 'Overrides');
    for (const o of s.overrides) out.push(`  ${o.id}: ${o.type} ${o.stepId} by ${o.actor.name} — ${o.reason}`);
  }
  if (s.handover)
    out.push('', `Handed over to ${s.handover.owner.name} (${s.handover.notesTotal ?? s.handover.notes.length} notes)`);
  if (s.timelinePage)
    out.push('', `Timeline: ${s.timelinePage.total} events${s.runs ? ` over ${s.runs + 1} runs` : ''}`);
  if (s.resolution) out.push('', `Resolved by ${s.resolution.actor.name}: ${s.resolution.summary}`);
  return out.join('\n');
}

function describeApproval(a: ApprovalRequest, now: number): string[] {
  const approvals = a.decisions.filter((d) => d.decision === 'approve').length;
  const c = a.context;
  const adjustable = Object.entries((c.adjustable ?? {}) as Record<string, InputSpec>).map(
    ([name, spec]) => `${name} (${specText(spec)})`,
  );
  return [
    `${a.id}: ${a.kind} for step ${a.stepId}`,
    `  tier ${a.tier}${a.tiers.length > 1 ? ` (may answer: ${a.tiers.join(', ')})` : ''}  quorum ${approvals} of ${a.approversRequired}  expires ${a.expiresAt} (${relative(a.expiresAt, now)})`,
    `  action ${c.action}  risk ${c.risk}${c.impact ? `  impact: ${c.impact}` : ''}`,
    `  inputs ${kv(a.inputs)}`,
    ...(adjustable.length ? [`  adjustable ${adjustable.join(', ')}`] : []),
    `  policy ${c.policySource}  requested by ${a.requestedBy.name}`,
    ...(c.diagnostics.length ? [`  diagnostics ${c.diagnostics.map((d) => `${d.stepId}=${d.state}`).join(' ')}`] : []),
    `  if nobody answers: ${c.ifNobodyAnswers}`,
    ...(decisionsText(a) ? [`  decisions: ${decisionsText(a)}`] : []),
  ];
}

function decisionsText(a: ApprovalRequest): string {
  return a.decisions.map((d) => `${d.actor.name} ${d.decision}d (${d.reason})`).join('; ');
}

export function specText(spec: InputSpec): string {
  if (spec.type === 'integer' || spec.type === 'number') {
    const bounds = spec.min !== undefined || spec.max !== undefined ? ` ${spec.min ?? ''}..${spec.max ?? ''}` : '';
    return `${spec.type}${bounds}`;
  }
  if (spec.type === 'string' && spec.enum) return `one of ${spec.enum.join('|')}`;
  return spec.type;
}

function scopeText(scope: { kind: string; stepId?: string; action?: string }): string {
  return scope.kind === 'step'
    ? `step ${scope.stepId}`
    : scope.kind === 'action'
      ? `action ${scope.action}`
      : 'response';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
