import type { Notification } from '../../domain/notification/notification.js';
import type { Delivery } from '../../domain/notification/delivery.js';

export type { Delivery };

/** A person as a channel reaches them (from the principals file): ids only, never credentials. */
export interface Contact {
  id: string;
  name: string;
  email?: string;
  /** Slack member id, for direct messages. */
  slack?: string;
}

/**
 * One way of telling people (Slack, email, PagerDuty, a webhook, the log). A channel renders the
 * structured notification its own way and reports one Delivery per message it tried to send, to
 * a person or to a shared destination (a Slack channel, a PagerDuty service). It never decides
 * anything: decisions come back through the gateway and the workflow's verified update.
 *
 * `people` are the on-call people for the notification's tier, resolved to contacts (empty when
 * nobody is on call or no rotation is configured; `notification.recipients[0].people` tells which).
 * A channel throws only for a failure of the whole channel; per-recipient failures are Deliveries
 * with `ok: false`.
 */
export interface NotificationChannel {
  readonly name: Delivery['channel'];
  deliver(notification: Notification, people: Contact[]): Promise<Delivery[]>;
}
