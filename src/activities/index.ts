import { ApplicationFailure, Context, log } from '@temporalio/activity';
import {
  missingGuardrailConsent,
  type Controls,
  type GuardrailFacts,
  type GuardrailVerdict,
} from '../domain/guardrails/controls.js';
import type { GuardrailsClient } from '../clients/temporal/guardrails-client.js';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import type { AuditEvent } from '../domain/audit/event.js';
import type { ActionResult, ActionSpec } from '../domain/playbook/actions.js';
import type { Playbook } from '../domain/playbook/playbook.js';
import type { Policy } from '../domain/policy/policy.js';
import { perform } from './actions/registry.js';
import type { Trust } from '../domain/trust/rules.js';
import type { OnCallLookup } from '../clients/oncall/lookup.js';
import type { Notifier } from '../clients/notify/notifier.js';
import type { Contact, NotificationChannel } from '../clients/notify/channel.js';
import { fanOut, type FanOutOptions } from '../clients/notify/fan-out.js';
import type { DeliveryReport } from '../domain/notification/delivery.js';
import { notificationLinks, type Notification } from '../domain/notification/notification.js';
import type { PlaybookCatalog } from '../clients/config/catalog.js';
import type { SecretProvider } from '../clients/secrets/provider.js';
import { actWithSecrets } from './secrets.js';
import type { ActionSettings } from './actions/settings.js';

export type ActionRequest = ActionSpec & {
  incidentId: string;
  stepId: string;
  kind: string;
  /** The facts guardrails are judged on; mitigations re-check them as they start. */
  guard?: GuardrailFacts;
  /** The tier whose approval this run carries, if any: a freeze engaged since may require another. */
  consentTier?: string;
};

export interface ActivityDependencies {
  playbooks: Pick<PlaybookCatalog, 'refresh' | 'select'>;
  /** Read on every new response, so a policy edit applies to responses that start after it. */
  policy: () => Policy;
  audit: Pick<AuditStore, 'indexEvents'>;
  /** The plain channel (a webhook, or the worker's log); reported as `webhook` or `log`. */
  notifier: Notifier;
  /** Slack, email, PagerDuty: each delivers independently of the others. */
  channels?: NotificationChannel[];
  /** The people channels reach (principals file), read as each notification is sent. */
  contacts?: () => Contact[];
  /** Retries per channel (tests shorten the wait). */
  delivery?: FanOutOptions;
  guardrails: GuardrailsClient;
  /** Resolves `{{secrets.NAME}}` in action parameters as the action starts; without one such a step fails. */
  secrets?: SecretProvider;
  /** Base URLs for the links in notifications (each optional), and the Temporal namespace. */
  links?: { gatewayUrl?: string; consoleUrl?: string; temporalUiUrl?: string; namespace: string };
  /** Who is on call per tier (rotation file, iCal, PagerDuty), asked as each notification is sent. */
  onCall?: OnCallLookup;
  /** The gateway's public keys and the trust settings the workflows verify decisions with. */
  trust?: Trust;
  /**
   * Who performs actions (default: the registry's performers, after secrets are resolved). A
   * simulation passes a recorder: it receives the request as the workflow sent it (secret
   * references unresolved) and touches nothing.
   */
  performer?: (request: ActionRequest, stop: AbortSignal) => Promise<ActionResult>;
  /** What action kinds need from configuration: the Kubernetes cluster, the runbooks folder. */
  actions?: ActionSettings;
}

/** Without configured keys nothing verifies: inputs that let automation proceed are refused. */
const NO_TRUST: Trust = {
  keys: {},
  maxAgeMs: 300_000,
  trustTemporalIdentity: false,
  lift: { roles: ['admin'], engager: true },
};

/**
 * Every activity the worker registers, built from injected clients so workflow code never sees
 * a client and tests can point them at their own servers.
 */
export function createActivities(deps: ActivityDependencies) {
  return {
    /**
     * Runs as an activity so the chosen playbook and the policy are recorded in history: the
     * response keeps the versions it started with, whatever is edited later.
     */
    async selectPlaybook(labels: Record<string, string>): Promise<{ playbook: Playbook; policy: Policy } | null> {
      const problem = deps.playbooks.refresh();
      if (problem) log.warn('playbook reload refused; keeping the previous set', { problem });
      const playbook = deps.playbooks.select(labels);
      return playbook ? { playbook, policy: deps.policy() } : null;
    },

    async runAction(request: ActionRequest): Promise<ActionResult> {
      const cancellation = Context.current().cancellationSignal;
      // Secrets are resolved here, as the action starts, and scrubbed from what it returns or throws.
      const performer = deps.performer;
      const act = performer
        ? (stop: AbortSignal) => performer(request, stop)
        : (stop: AbortSignal) =>
            actWithSecrets(request, deps.secrets, (resolved) => perform(resolved, stop, deps.actions));
      if (!(request.guard && request.kind === 'mitigation')) return act(cancellation);
      // Last line of defence: a control engaged between the workflow's check and this start
      // (a broadcast still on its way) still stops the mitigation before it touches anything.
      const verdict = await deps.guardrails.check(request.guard);
      if (verdict.blockers.length)
        throw ApplicationFailure.create({
          type: 'BlockedByGuardrail',
          message: verdict.blockers.join('; '),
          nonRetryable: true,
        });
      const missing = missingGuardrailConsent(verdict, request.consentTier);
      if (missing)
        throw ApplicationFailure.create({ type: 'BlockedByGuardrail', message: missing, nonRetryable: true });
      // And while it runs, a control that now forbids it interrupts it here, in-process, without
      // waiting for the response's cancellation to arrive through a heartbeat.
      const interruption = new AbortController();
      const unwatch = deps.guardrails.watch(request.guard, verdict.version, (blockers) =>
        interruption.abort(
          ApplicationFailure.create({
            type: 'InterruptedByGuardrail',
            message: blockers.join('; '),
            nonRetryable: true,
          }),
        ),
      );
      try {
        return await act(AbortSignal.any([cancellation, interruption.signal]));
      } finally {
        unwatch();
      }
    },

    async indexAuditEvents(events: AuditEvent[]): Promise<void> {
      await deps.audit.indexEvents(events);
    },

    /**
     * What the workflows trust, from the worker's configuration. An activity, so it can never come
     * from a workflow's input (which anyone who can start a workflow controls).
     */
    async loadTrust(): Promise<Trust> {
      return deps.trust ?? NO_TRUST;
    },

    async checkGuardrails(facts: GuardrailFacts): Promise<GuardrailVerdict & { version: number }> {
      return deps.guardrails.check(facts);
    },

    async broadcastControls(controls: Controls): Promise<number> {
      return deps.guardrails.broadcast(controls);
    },

    /**
     * The workflow knows no URLs, no people and no channels: links, who is on call and the
     * channels' messages are all decided here, as the notification goes out. Never throws for a
     * channel's failure: the report says what reached whom, and the workflow records it.
     */
    async sendNotification(notification: Notification): Promise<DeliveryReport> {
      const links = deps.links ? notificationLinks(deps.links, notification) : undefined;
      const at = new Date();
      const recipients = await Promise.all(
        notification.recipients.map(async (r) => {
          try {
            const people = await deps.onCall?.peopleFor(r.tier, at);
            return people ? { ...r, people } : r;
          } catch (err) {
            // An on-call source that cannot be read is not "nobody on call": the request still
            // goes to the tier's shared channels, and the failure shows in the worker's log.
            log.warn('on-call source unavailable', { tier: r.tier, error: (err as Error).message });
            return r;
          }
        }),
      );
      const sent: Notification = { ...notification, links, recipients };
      const directory = deps.contacts?.() ?? [];
      const wanted = new Set(recipients.flatMap((r) => r.people ?? []));
      const people = [...wanted].map((id) => directory.find((c) => c.id === id) ?? { id, name: id });
      const plain: NotificationChannel = {
        name: deps.notifier.name ?? 'webhook',
        async deliver(n) {
          const refs = await deps.notifier.send(n);
          return (
            refs ?? [{ channel: deps.notifier.name ?? 'webhook', to: '*', ok: true, at: new Date().toISOString() }]
          );
        },
      };
      const deliveries = await fanOut([plain, ...(deps.channels ?? [])], sent, people, deps.delivery);
      return { recipients, deliveries };
    },
  };
}
export type IncidentActivities = ReturnType<typeof createActivities>;
