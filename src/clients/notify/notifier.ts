import type { Notification } from '../../domain/notification/notification.js';
import { renderText } from './render-text.js';
import type { Delivery } from './channel.js';

export type { Notification };

/**
 * Where notifications go. One small interface, so Slack, email or a pager integration is one
 * more implementation, not a change to the workflow. Each renders the structured notification
 * in its own form.
 */
export interface Notifier {
  /** How its deliveries are reported (default `webhook`). */
  readonly name?: 'webhook' | 'log';
  /** Resolves with its deliveries, or nothing for "delivered to its one destination". */
  send(notification: Notification): Promise<Delivery[] | void>;
}

/**
 * POSTs each notification as JSON to a webhook (e.g. a chat incoming-webhook relay): the
 * structured notification, plus `text`, its plain-English rendering, for relays that only
 * forward text.
 */
export function webhookNotifier(url: string, fetchImpl: typeof fetch = fetch): Notifier {
  return {
    async send(notification) {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...notification, text: renderText(notification) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`notification webhook answered HTTP ${res.status}`);
    },
  };
}

/** When no webhook is configured: the worker's log is the channel. */
export function logNotifier(log: (message: string, attrs: Record<string, unknown>) => void): Notifier {
  return {
    name: 'log',
    async send(notification) {
      log(renderText(notification), {
        notification: { kind: notification.kind, id: notification.id, incidentId: notification.incidentId },
      });
    },
  };
}
