import { describeUnknownEffect } from '../render-text.js';
import { approvalFacts, outcomeText } from '../../../domain/notification/approval-facts.js';
import { dryRunPrefix, type Notification } from '../../../domain/notification/notification.js';
import { escapeHtml, factsTable, factsText } from './html.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const ASKING = new Set(['approval.requested', 'approval.escalated', 'approval.reminder']);
export const asksForDecision = (n: Notification) => ASKING.has(n.kind) && n.approval?.kind === 'approval';

/** The personal decision link; `decision` only preselects a button on the page (a GET decides nothing). */
export function decisionLink(gatewayUrl: string, token: string, decision?: 'approve' | 'reject'): string {
  const base = `${gatewayUrl.replace(/\/+$/, '')}/v1/integrations/email/decisions/${token}`;
  return decision ? `${base}?decision=${decision}` : base;
}

/** The mail asking one person to decide; `link` builds their personal links. */
export function renderRequestMail(n: Notification, link: (decision?: 'approve' | 'reject') => string): RenderedMail {
  const a = n.approval!;
  const lead =
    dryRunPrefix(n) +
    (n.kind === 'approval.reminder'
      ? 'Reminder: still waiting for a decision.'
      : n.kind === 'approval.escalated'
        ? `Escalated to ${a.tier}: nobody decided in time at the previous tier.`
        : 'Your approval is requested.');
  const facts = approvalFacts(a);
  const subject = `[Interlock] ${dryRunPrefix(n)}${n.kind === 'approval.reminder' ? 'Reminder: ' : ''}approve ${a.stepId} on ${n.service} (${n.environment})? ${n.title}`;
  const text = [
    lead,
    '',
    factsText(facts),
    '',
    `Approve: ${link('approve')}`,
    `Reject:  ${link('reject')}`,
    '',
    'Each link opens a confirmation page: nothing is decided until you give a reason and press a button there.',
    'The link is yours alone and works once; do not forward this mail.',
  ].join('\n');
  const html = page(
    `<p>${escapeHtml(lead)}</p>
${factsTable(facts)}
<p><a href="${escapeHtml(link('approve'))}">Approve…</a> &nbsp; <a href="${escapeHtml(link('reject'))}">Reject…</a></p>
<p style="color:#555">Each link opens a confirmation page: nothing is decided until you give a reason and press a button there. The link is yours alone and works once; do not forward this mail.</p>`,
  );
  return { subject, text, html };
}

/** The short follow-up once a request was decided or expired. */
export function renderOutcomeMail(n: Notification): RenderedMail {
  const a = n.approval;
  const what = a ? `${a.stepId} on ${n.service} (${n.environment})` : n.title;
  const outcome =
    dryRunPrefix(n) +
    (n.kind === 'approval.expired'
      ? `Nobody approved ${what} in time; it will not run.`
      : `${what} was ${a?.state ?? 'decided'}${n.actor ? ` by ${n.actor.name}` : ''}${n.reason ? `: ${n.reason}` : ''}.`);
  const detail = a && n.kind !== 'approval.expired' ? outcomeText(a) : '';
  const status = n.links?.console ?? n.links?.status;
  const text = [outcome, detail && detail !== outcome ? detail : '', status ? `Status: ${status}` : '']
    .filter(Boolean)
    .join('\n');
  const subject = `[Interlock] ${dryRunPrefix(n)}${n.kind === 'approval.expired' ? 'Expired' : a?.state === 'rejected' ? 'Rejected' : 'Decided'}: ${what}: ${n.title}`;
  const html = page(
    `<p>${escapeHtml(outcome)}</p>${status ? `<p><a href="${escapeHtml(status)}">Status</a></p>` : ''}`,
  );
  return { subject, text, html };
}

/**
 * A mitigation lost with its worker: what it was, that its effect is unknown, and the choices.
 * The mail decides nothing (a retry lets automation act again, so it needs a verified person):
 * it links the console and the status, where the choices are made.
 */
export function renderNeedsHumanMail(n: Notification): RenderedMail {
  const u = n.unknownEffect;
  const what = u ? `${u.stepId} (${u.action}) on ${n.service} (${n.environment})` : `a mitigation on ${n.service}`;
  const status = n.links?.console ?? n.links?.status;
  const text = [
    `${dryRunPrefix(n)}${n.title}: ${describeUnknownEffect(n)}`,
    u ? `Started with: ${JSON.stringify(u.parameters)}` : '',
    status ? `Decide here: ${status}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const subject = `[Interlock] ${dryRunPrefix(n)}Needs a person: ${what}: effect unknown: ${n.title}`;
  const html = page(
    `<p><strong>Effect unknown.</strong> ${escapeHtml(describeUnknownEffect(n))}</p>` +
      (u ? `<p>Started with: <code>${escapeHtml(JSON.stringify(u.parameters))}</code></p>` : '') +
      (status ? `<p><a href="${escapeHtml(status)}">Decide in Interlock</a></p>` : ''),
  );
  return { subject, text, html };
}

function page(body: string): string {
  return `<!doctype html><html><body style="font-family:sans-serif">${body}</body></html>`;
}
