import type { ActorRef, ApprovalRequest, UnknownEffect } from '../response/status.js';

/**
 * What Interlock tells people, as data. Each channel (webhook, log; Slack, email and PagerDuty
 * later) renders it in its own form at the edge, so the workflow never writes English for a
 * channel and a new channel needs no workflow change.
 */
export const NOTIFICATION_KINDS = [
  'approval.requested',
  'approval.reminder',
  'approval.escalated',
  'approval.decided',
  /** A decision counted, the quorum still open (or inputs adjusted): channels showing the request refresh it. */
  'approval.progressed',
  'approval.expired',
  'objection.window-opened',
  'optout.engaged',
  'killswitch.engaged',
  /** A mitigation's effect is unknown (its worker was lost): someone must retry, mark it done or take over. */
  'mitigation.needs-human',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  kind: NotificationKind;
  /** Stable across retries and replays: a channel can drop a repeat. */
  id: string;
  incidentId: string;
  workflowId: string;
  title: string;
  service: string;
  environment: string;
  severity: string;
  dryRun: boolean;
  /** Workflow time of the event the notification is about. */
  at: string;
  /** The request with everything an approver sees in the status view (alerts, action, impact, why). */
  approval?: ApprovalRequest;
  /** The mitigation whose effect is unknown, with what a person can do about it (mitigation.needs-human). */
  unknownEffect?: UnknownEffect;
  /** Who acted, for decisions, opt-outs and the kill switch. */
  actor?: ActorRef;
  reason?: string;
  /**
   * Who should hear it: the tier asked and, when an on-call rotation is configured, the people on
   * call for it as the notification is sent (an empty list: nobody is on call).
   */
  recipients: Array<{ tier: string; people?: string[] }>;
  /** Filled by the sending activity from the worker's configuration (the workflow knows no URLs). */
  links?: NotificationLinks;
}

/**
 * What every channel puts first (subject, title, header, summary) when a notification is about a
 * dry run: whoever reads it must not take a rehearsal for an incident.
 */
export const DRY_RUN_MARK = 'DRY RUN';
export const dryRunPrefix = (n: Pick<Notification, 'dryRun'>): string => (n.dryRun ? `${DRY_RUN_MARK}: ` : '');

export interface NotificationLinks {
  /** The live status through the HTTP API. */
  status?: string;
  /** The response in the web console, when one is configured. */
  console?: string;
  /** The workflow in the Temporal Web UI, when its address is configured. */
  temporalUi?: string;
}

/** The links for one response, from the base URLs a deployment configures. */
export function notificationLinks(
  bases: { gatewayUrl?: string; consoleUrl?: string; temporalUiUrl?: string; namespace: string },
  n: Pick<Notification, 'incidentId' | 'workflowId'>,
): NotificationLinks {
  const trim = (url: string) => url.replace(/\/+$/, '');
  return {
    status: bases.gatewayUrl ? `${trim(bases.gatewayUrl)}/v1/incidents/${encodeURIComponent(n.incidentId)}` : undefined,
    console: bases.consoleUrl ? `${trim(bases.consoleUrl)}/incidents/${encodeURIComponent(n.incidentId)}` : undefined,
    temporalUi: bases.temporalUiUrl
      ? `${trim(bases.temporalUiUrl)}/namespaces/${encodeURIComponent(bases.namespace)}/workflows/${encodeURIComponent(n.workflowId)}`
      : undefined,
  };
}
