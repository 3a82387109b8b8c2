import type { KnownBlock } from '@slack/web-api';
import { dryRunPrefix, type Notification } from '../../../domain/notification/notification.js';
import type { ApprovalRequest } from '../../../domain/response/status.js';
import { renderText } from '../render-text.js';

/** What a button carries back in its `value`: enough to find the request, nothing to trust. */
export interface ButtonValue {
  incidentId: string;
  approvalId: string;
  stepId: string;
}

export const ACTION = {
  approve: 'interlock.approve',
  reject: 'interlock.reject',
  optOut: 'interlock.opt-out',
  adjust: 'interlock.adjust',
} as const;

/** Slack's documented limits, kept here so every render stays within them. */
const LIMIT = { header: 150, section: 3000, field: 2000, context: 2000 };

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** mrkdwn treats &, < and > as control characters: escape what came from alerts and people. */
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const mrkdwn = (text: string, max = LIMIT.section) => ({ type: 'mrkdwn' as const, text: clip(text, max) });
const plain = (text: string, max: number) => ({ type: 'plain_text' as const, text: clip(text, max), emoji: false });

/**
 * The Block Kit message for a notification. A pending request gets the whole context and its
 * buttons; once decided or expired the same message is rewritten without buttons, saying who
 * decided and why, so nobody clicks on something that is over.
 */
export function slackMessage(n: Notification): { text: string; blocks: KnownBlock[] } {
  const text = clip(renderText(n), 3000);
  const a = n.approval;
  if (!a) return { text, blocks: [{ type: 'section', text: mrkdwn(esc(text)) }] };
  const open = a.state === 'pending' && n.kind !== 'approval.decided' && n.kind !== 'approval.expired';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: plain(`${dryRunPrefix(n)}${open ? headline(n) : outcomeHeadline(a)}: ${n.title}`, LIMIT.header),
    },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Service*\n${esc(n.service)} (${esc(n.environment)})`, LIMIT.field),
        mrkdwn(`*Severity*\n${esc(n.severity)}${n.dryRun ? ' (DRY RUN)' : ''}`, LIMIT.field),
        mrkdwn(`*Step*\n${esc(a.stepId)} (risk ${esc(a.context.risk)})`, LIMIT.field),
        mrkdwn(`*Tier*\n${esc(a.tier)}${onCall(n)}`, LIMIT.field),
        mrkdwn(`*Approvals*\n${approvals(a)} of ${a.approversRequired}`, LIMIT.field),
        mrkdwn(
          `*Expires*\n<!date^${Math.floor(Date.parse(a.expiresAt) / 1000)}^{date_short_pretty} {time}|${a.expiresAt}>`,
        ),
      ],
    },
    {
      type: 'section',
      text: mrkdwn(
        `*Action* \`${esc(a.context.action)}\`\n\`\`\`${esc(JSON.stringify(a.context.params, null, 1))}\`\`\`` +
          (a.context.impact ? `\n*Impact* ${esc(a.context.impact)}` : ''),
      ),
    },
    {
      type: 'section',
      text: mrkdwn(
        `*Why approval* ${esc(a.context.policySource)} (asked by ${esc(a.requestedBy.name)})\n` +
          `*Alerts* ${a.context.alerts.map((al) => esc(al.annotations.summary ?? al.labels.alertname ?? al.fingerprint)).join('; ') || 'none'}\n` +
          `*Diagnostics* ${a.context.diagnostics.map((d) => `${esc(d.stepId)} ${d.state}${d.output === undefined ? '' : `: ${esc(clip(JSON.stringify(d.output), 300))}`}`).join('; ') || 'none'}\n` +
          `*If nobody answers* ${esc(a.context.ifNobodyAnswers)}`,
      ),
    },
  ];
  const link = n.links?.console ?? n.links?.status;
  if (link || n.links?.temporalUi)
    blocks.push({
      type: 'context',
      elements: [
        mrkdwn(
          [link && `<${link}|Open the response>`, n.links?.temporalUi && `<${n.links.temporalUi}|Temporal UI>`]
            .filter(Boolean)
            .join(' · '),
          LIMIT.context,
        ),
      ],
    });
  if (open) blocks.push(buttons(n, a));
  else blocks.push({ type: 'context', elements: [mrkdwn(esc(outcomeLine(n, a)), LIMIT.context)] });
  return { text, blocks };
}

function buttons(n: Notification, a: ApprovalRequest): KnownBlock {
  const value = JSON.stringify({ incidentId: n.incidentId, approvalId: a.id, stepId: a.stepId } satisfies ButtonValue);
  const adjustable = Object.keys(a.context.adjustable ?? {}).length > 0;
  return {
    type: 'actions',
    block_id: `interlock:${a.id}`.slice(0, 255),
    elements: [
      { type: 'button', action_id: ACTION.approve, text: plain('Approve…', 75), style: 'primary', value },
      { type: 'button', action_id: ACTION.reject, text: plain('Reject…', 75), value },
      ...(adjustable ? [{ type: 'button' as const, action_id: ACTION.adjust, text: plain('Adjust…', 75), value }] : []),
      {
        type: 'button',
        action_id: ACTION.optOut,
        text: plain('Opt out…', 75),
        style: 'danger',
        value,
        confirm: {
          title: plain('Opt out of this step?', 100),
          text: plain(`Automation will not run ${a.stepId}. You will be asked for a reason.`, 300),
          confirm: plain('Opt out', 30),
          deny: plain('Cancel', 30),
          style: 'danger',
        },
      },
    ],
  };
}

function headline(n: Notification): string {
  if (n.kind === 'objection.window-opened') return 'Runs unless someone objects';
  if (n.kind === 'approval.escalated') return 'Escalated, approval needed';
  if (n.kind === 'approval.reminder') return 'Reminder, approval needed';
  return 'Approval needed';
}

function outcomeHeadline(a: ApprovalRequest): string {
  return (
    { approved: 'Approved', rejected: 'Rejected', expired: 'Expired', withdrawn: 'Withdrawn', void: 'Void' }[
      a.state as Exclude<ApprovalRequest['state'], 'pending'>
    ] ?? 'Decided'
  );
}

function outcomeLine(n: Notification, a: ApprovalRequest): string {
  if (a.state === 'expired') return 'Nobody approved in time: it will not run (fail closed).';
  const last = a.decisions.at(-1);
  const who = n.actor ?? last?.actor;
  const why = n.reason ?? last?.reason;
  return `${outcomeHeadline(a)}${who ? ` by ${who.name} via ${who.channel}` : ''}${why ? `: ${why}` : ''}`;
}

function approvals(a: ApprovalRequest): number {
  return a.decisions.filter((d) => d.decision === 'approve').length;
}

function onCall(n: Notification): string {
  const people = n.recipients[0]?.people;
  if (!people) return '';
  return people.length ? ` (on call: ${people.map(esc).join(', ')})` : ' (nobody on call)';
}
