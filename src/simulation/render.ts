import { sinceStart, type SimulationReport } from './report.js';

const params = (p: Record<string, unknown>) => {
  const { method, url, command, body } = p as { method?: string; url?: string; command?: unknown; body?: unknown };
  if (url) return `${method ?? 'GET'} ${url}${body !== undefined ? ` ${JSON.stringify(body)}` : ''}`;
  if (command) return JSON.stringify(command);
  return JSON.stringify(p);
};

/** The report as a person reads it in a terminal: times as "+3m" since the incident started. */
export function renderReport(r: SimulationReport): string {
  const t = (at: string) => sinceStart(r, at).padEnd(9);
  const out: string[] = [];
  out.push(
    `Simulated ${r.playbook ? `playbook ${r.playbook.id} v${r.playbook.version}` : 'response (no playbook matched)'} for ${r.incidentId}, from ${r.startedAt}`,
  );
  out.push(
    `Outcome: ${r.phase ?? 'unknown'}${r.ending === 'ended' ? '' : ` (${r.ending})`}, ${sinceStart(r, r.endedAt).slice(1)} of simulated time in ${(r.simulationWallMs / 1000).toFixed(1)} s of wall time (${(r.wallMs / 1000).toFixed(1)} s with the server's start)`,
  );
  out.push('', 'Steps');
  for (const s of r.steps)
    out.push(
      `  ${s.id.padEnd(24)} ${s.kind.padEnd(12)} ${s.state}${s.policy ? `  [${s.policy.mode}: ${s.policy.source}]` : ''}${s.note ? `  (${s.note})` : ''}`,
    );
  out.push('', 'Approvals requested');
  if (!r.approvals.length) out.push('  none');
  for (const a of r.approvals) {
    out.push(
      `  ${t(a.requestedAt)}${a.id}: ${a.kind} from ${a.tiers.join(', then ')} (${a.approversRequired} needed, ${a.policySource}), ${a.state}`,
    );
    for (const d of a.decisions)
      out.push(
        `  ${t(d.at)}  ${d.who} ${d.decision}d, ${sinceStart({ startedAt: a.requestedAt }, d.at).slice(1)} after the request: ${d.reason}`,
      );
  }
  out.push('', 'Paged');
  if (!r.pages.length) out.push('  nobody');
  for (const p of r.pages)
    out.push(
      `  ${t(p.at)}${p.kind.padEnd(24)} ${(p.stepId ?? '').padEnd(20)} ${p.tier ?? '-'} -> ${p.people.join(', ') || 'nobody on call'}`,
    );
  out.push('', 'Escalations');
  if (!r.escalations.length) out.push('  none');
  for (const e of r.escalations)
    out.push(`  ${t(e.at)}${e.approvalId} -> ${e.tier} (${e.people.join(', ') || 'nobody on call'})`);
  out.push('', 'Would have run (nothing was performed)');
  if (!r.actions.length) out.push('  nothing');
  for (const a of r.actions)
    out.push(
      `  ${t(a.at)}${a.stepId} (${a.kind}${a.consentTier ? `, approved by ${a.consentTier}` : ''}): ${a.action} ${params(a.params)}${a.outcome === 'interrupted' ? '  -> interrupted' : ''}`,
    );
  out.push('', 'Guardrails that applied');
  if (!r.guardrails.length) out.push('  none');
  for (const g of r.guardrails)
    out.push(
      `  ${t(g.at)}${g.kind} ${g.action}: ${[...g.blockers, g.manualOnly && `manual only: ${g.manualOnly}`, g.requireApproval && `approval from ${g.requireApproval.tier} (${g.requireApproval.source})`].filter(Boolean).join('; ')}`,
    );
  out.push('', 'People');
  if (!r.inputs.length) out.push('  nobody answered');
  for (const i of r.inputs)
    out.push(
      `  ${t(i.at)}${i.who} ${i.does}${i.approvalId ? ` ${i.approvalId}` : i.step ? ` (${i.step})` : ''}: ${i.outcome}${i.refusal ? ` (${i.refusal})` : ''}`,
    );
  out.push('');
  out.push(
    r.passed ? 'Policy check: passed' : `Policy check: FAILED\n${r.violations.map((v) => `  - ${v}`).join('\n')}`,
  );
  return out.join('\n');
}
