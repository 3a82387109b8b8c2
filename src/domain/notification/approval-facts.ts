import type { ApprovalRequest } from '../response/status.js';

/** One line of what an approver reads: a label and its value, as plain text. */
export interface Fact {
  label: string;
  value: string;
}

/** Long outputs (a diagnostic's JSON) are cut: the message is for deciding, the status API has the rest. */
const clip = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}… (cut)` : text);
const json = (v: unknown) => clip(typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Everything a person needs to decide on an approval request, in reading order, without opening
 * another tool. Shared by the email, and the email link's confirmation page, so both say the same.
 */
export function approvalFacts(a: ApprovalRequest): Fact[] {
  const c = a.context;
  const approvals = a.decisions.filter((d) => d.decision === 'approve').length;
  const facts: Fact[] = [
    { label: 'Incident', value: `${c.title}${c.dryRun ? ' (dry run: nothing will be changed)' : ''}` },
    { label: 'Service', value: `${c.service} (${c.environment}), severity ${c.severity}` },
    ...c.alerts.map((al, i) => ({
      label: `Alert ${i + 1}`,
      value: `${al.labels.alertname ?? al.fingerprint} [${al.status}] since ${al.startsAt}${
        al.annotations.summary ? `: ${al.annotations.summary}` : ''
      }`,
    })),
    ...c.diagnostics.map((d) => ({
      label: `Diagnostic ${d.stepId}`,
      value: `${d.state}${d.error ? `: ${clip(d.error)}` : d.output !== undefined ? `: ${json(d.output)}` : ''}`,
    })),
    { label: 'Step', value: `${a.stepId} (risk ${c.risk})` },
    { label: 'Action', value: `${c.action} ${json(c.params)}` },
  ];
  if (Object.keys(c.adjustable).length) facts.push({ label: 'Adjustable inputs', value: json(c.adjustable) });
  if (c.impact) facts.push({ label: 'Impact', value: c.impact });
  facts.push(
    { label: 'Asked by', value: `${a.requestedBy.name} (${a.requestedBy.id})` },
    {
      label: 'Why',
      value: `${a.kind === 'objection' ? 'runs unless someone objects' : 'approval required'} by ${c.policySource}`,
    },
    {
      label: 'Tier',
      value: `${a.tier}${a.escalationLevel ? ` (escalation ${a.escalationLevel}; ${a.tiers.join(', ')} may answer)` : ''}`,
    },
    {
      label: 'Quorum',
      value: `${approvals} of ${a.approversRequired} approval(s)${
        a.decisions.length
          ? `; so far: ${a.decisions.map((d) => `${d.actor.name} ${d.decision}d (${d.reason})`).join('; ')}`
          : ''
      }`,
    },
    { label: 'Expires', value: a.expiresAt },
    { label: 'If nobody answers', value: c.ifNobodyAnswers },
  );
  return facts;
}

/** Who decided and why, for a request that is no longer pending (empty while it is). */
export function outcomeText(a: ApprovalRequest): string {
  if (a.state === 'pending') return '';
  // Every approver counts towards a quorum, so all are named; a rejection is one person's.
  const deciding = a.decisions.filter((d) => d.decision === (a.state === 'rejected' ? 'reject' : 'approve'));
  const named = deciding.map((d) => `${d.actor.name} (${d.actor.channel}): ${d.reason}`).join('; ');
  switch (a.state) {
    case 'approved':
    case 'rejected':
      return `${a.state === 'approved' ? 'Approved' : 'Rejected'}${named ? ` by ${named}` : ''}`;
    case 'expired':
      return `Expired at ${a.expiresAt}: nobody decided in time, so the step will not run.`;
    default:
      return `No longer pending (${a.state}).`;
  }
}
