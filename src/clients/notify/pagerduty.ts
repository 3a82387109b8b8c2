import { createHash } from 'node:crypto';
import { AbortError } from 'p-retry';
import type { ApprovalRequest, UnknownEffect } from '../../domain/response/status.js';
import { describeUnknownEffect } from './render-text.js';
import { dryRunPrefix, type Notification } from '../../domain/notification/notification.js';
import type { Delivery, NotificationChannel } from './channel.js';

export interface PagerDutyChannelOptions {
  /** The Events API v2 integration key of the PagerDuty service to page (a secret). */
  routingKey: string;
  /** Default https://events.pagerduty.com (tests point it at a stand-in). */
  eventsUrl?: string;
  /** Where people can see the live status; sent as PagerDuty's client_url. */
  clientUrl?: string;
  /** The Slack workspace (https://acme.slack.com), to link the request's Slack message when it has one. */
  slackWorkspaceUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Deliveries the workflow may have recorded on the request (Slack's `channel:ts` among them). */

const TRIGGER_KINDS = new Set(['approval.requested', 'approval.escalated']);
const RESOLVE_KINDS = new Set(['approval.decided', 'approval.expired']);

/**
 * Pages the on-call people through a PagerDuty service (Events API v2): an approval request or
 * its escalation triggers an alert, its decision or expiry resolves it. The page only tells;
 * acknowledging or resolving it in PagerDuty decides nothing (nothing comes back from PagerDuty
 * into a decision), because a page cannot carry a verified person's consent. People decide
 * through the links it carries.
 */
export function pagerDutyChannel(options: PagerDutyChannelOptions): NotificationChannel {
  const base = (options.eventsUrl ?? 'https://events.pagerduty.com').replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  return {
    name: 'pagerduty',
    async deliver(n) {
      if (n.kind === 'mitigation.needs-human' && n.unknownEffect) {
        const dedupKey = pagerDutyDedupKey(n.incidentId, `${n.unknownEffect.id}:needs-human`);
        return send(dedupKey, {
          routing_key: options.routingKey,
          event_action: 'trigger',
          dedup_key: dedupKey,
          payload: needsHumanPayload(n, n.unknownEffect),
          links: consoleLinks(n),
          client: 'Interlock',
          ...clientUrlOf(n),
        });
      }
      const approval = n.approval;
      if (!approval) return [];
      const action = TRIGGER_KINDS.has(n.kind) ? 'trigger' : RESOLVE_KINDS.has(n.kind) ? 'resolve' : undefined;
      if (!action) return [];
      const dedupKey = pagerDutyDedupKey(n.incidentId, approval.id);
      const event =
        action === 'trigger'
          ? {
              routing_key: options.routingKey,
              event_action: action,
              dedup_key: dedupKey,
              payload: triggerPayload(n, approval),
              links: links(n, approval, options.slackWorkspaceUrl),
              client: 'Interlock',
              ...clientUrlOf(n),
            }
          : { routing_key: options.routingKey, event_action: action, dedup_key: dedupKey };
      return send(dedupKey, event);
    },
  };

  function clientUrlOf(n: Notification) {
    const clientUrl = n.links?.console ?? n.links?.status ?? options.clientUrl;
    return clientUrl ? { client_url: clientUrl } : {};
  }

  async function send(dedupKey: string, event: object): Promise<Delivery[]> {
    let res: Response;
    try {
      res = await doFetch(`${base}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      // Network trouble is worth retrying; the message never contains the routing key.
      throw new Error(`PagerDuty Events API unreachable: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 202 || res.ok)
      return [{ channel: 'pagerduty', to: 'pagerduty', ok: true, at: new Date().toISOString(), ref: dedupKey }];
    const why = `PagerDuty answered HTTP ${res.status}${describeErrors(text)}`;
    // 429 and 5xx pass; anything else (400: the event is invalid) fails the same way again.
    if (res.status === 429 || res.status >= 500) throw new Error(why);
    throw new AbortError(why);
  }
}

/**
 * One alert per approval request. Approval ids restart in every response (`<step>-1`), so the
 * incident is part of the key: without it, one response's decision would resolve another's page.
 * PagerDuty allows 255 characters; a longer key is hashed.
 */
export function pagerDutyDedupKey(incidentId: string, approvalId: string): string {
  const key = `interlock:${incidentId}:${approvalId}`;
  return key.length <= 255 ? key : `interlock:${createHash('sha256').update(key).digest('hex')}`;
}

/** PagerDuty's four severities, from whatever the alert source called it. */
export function pagerDutySeverity(severity: string): 'critical' | 'error' | 'warning' | 'info' {
  const s = severity.trim().toLowerCase();
  if (/^(critical|crit|fatal|emergency|page|high|p1|sev-?1|s1)$/.test(s)) return 'critical';
  if (/^(warning|warn|minor|medium|p3|sev-?3|s3)$/.test(s)) return 'warning';
  if (/^(info|informational|low|notice|p4|p5|sev-?4|sev-?5|s4|s5)$/.test(s)) return 'info';
  // error, major, P2, and anything unknown: an approval is waiting, so it must not read as info.
  return 'error';
}

function triggerPayload(n: Notification, approval: ApprovalRequest) {
  const c = approval.context;
  const escalated = n.kind === 'approval.escalated' ? 'Escalated: ' : '';
  const summary =
    `${dryRunPrefix(n)}${escalated}Approval needed: ${c.action} (${approval.stepId}) on ${n.service} (${n.environment}) ` +
    `for "${n.title}", tier ${approval.tier}, ${approval.approversRequired} approver(s), until ${approval.expiresAt}`;
  return {
    summary: truncate(summary, 1024),
    source: n.service,
    severity: pagerDutySeverity(n.severity),
    timestamp: n.at,
    component: approval.stepId,
    group: n.environment,
    class: c.action,
    custom_details: {
      incident: n.incidentId,
      action: c.action,
      step: approval.stepId,
      // The inputs an approver can adjust, not the step's raw request parameters: those are the
      // playbook's (URLs, headers) and are not PagerDuty's to hold.
      parameters: approval.inputs,
      impact: c.impact,
      risk: c.risk,
      requested_by: approval.requestedBy.name,
      tier: approval.tier,
      tiers: approval.tiers,
      quorum: approval.approversRequired,
      expires_at: approval.expiresAt,
      if_nobody_answers: c.ifNobodyAnswers,
      dry_run: n.dryRun,
      note: 'Acknowledging or resolving this page does not approve anything: decide through Interlock.',
    },
  };
}

/**
 * A mitigation lost with its worker pages as critical whatever the alert's severity: production
 * may be half changed and nothing will move until a person chooses.
 */
function needsHumanPayload(n: Notification, u: UnknownEffect) {
  const summary = `${dryRunPrefix(n)}Needs a person: ${u.stepId} (${u.action}) on ${n.service} (${n.environment}) was lost with its worker, effect unknown, for "${n.title}"`;
  return {
    summary: truncate(summary, 1024),
    source: n.service,
    severity: 'critical' as const,
    timestamp: n.at,
    component: u.stepId,
    group: n.environment,
    class: u.action,
    custom_details: {
      incident: n.incidentId,
      step: u.stepId,
      action: u.action,
      parameters: u.parameters,
      started_at: u.startedAt,
      lost_at: u.lostAt,
      cause: u.cause,
      what_happened: describeUnknownEffect(n),
      choices: u.options.map((o) => `${o.choice}: ${o.does}`),
      dry_run: n.dryRun,
      note: 'Acknowledging or resolving this page chooses nothing: retry, mark done or hand over in Interlock.',
    },
  };
}

function consoleLinks(n: Notification) {
  const out: Array<{ href: string; text: string }> = [];
  if (n.links?.console) out.push({ href: n.links.console, text: 'Decide in the Interlock console' });
  if (n.links?.status) out.push({ href: n.links.status, text: 'Live status (Interlock API)' });
  return out;
}

function links(n: Notification, approval: ApprovalRequest, slackWorkspaceUrl?: string) {
  const out: Array<{ href: string; text: string }> = [];
  if (n.links?.console) out.push({ href: n.links.console, text: 'Decide in the Interlock console' });
  if (n.links?.status) out.push({ href: n.links.status, text: 'Live status (Interlock API)' });
  // The request's Slack message, from what the workflow recorded about earlier deliveries.
  const slack = (approval.notified ?? [])
    .flatMap((r) => r.deliveries)
    .find((d: Delivery) => d.channel === 'slack' && d.ok && d.ref?.includes(':'));
  if (slack?.ref && slackWorkspaceUrl) {
    // A Slack permalink is the channel and the message ts without its dot.
    const [channel, ts] = slack.ref.split(':') as [string, string];
    out.push({
      href: `${slackWorkspaceUrl.replace(/\/+$/, '')}/archives/${channel}/p${ts.replace('.', '')}`,
      text: 'The request in Slack',
    });
  }
  return out;
}

function describeErrors(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.map(String).join('; ') : '';
    return body.message || errors ? `: ${[body.message, errors].filter(Boolean).join(': ')}`.slice(0, 500) : '';
  } catch {
    return '';
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
