/**
 * Where approval requests, reminders and escalations are announced. One small interface, so
 * Slack, email or a pager integration is one more implementation, not a change to the workflow.
 */
export interface Notification {
  incidentId: string;
  workflowId: string;
  text: string;
}

export interface Notifier {
  send(notification: Notification): Promise<void>;
}

/** POSTs each notification as JSON to a webhook (e.g. a Slack incoming-webhook relay). */
export function webhookNotifier(url: string, fetchImpl: typeof fetch = fetch): Notifier {
  return {
    async send(notification) {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`notification webhook answered HTTP ${res.status}`);
    },
  };
}

/** When no webhook is configured: the worker's log is the channel. */
export function logNotifier(log: (message: string, attrs: Record<string, unknown>) => void): Notifier {
  return {
    async send(notification) {
      log('notification', { ...notification });
    },
  };
}
