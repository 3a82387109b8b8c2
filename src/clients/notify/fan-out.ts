import pRetry from 'p-retry';
import type { Notification } from '../../domain/notification/notification.js';
import type { Contact, Delivery, NotificationChannel } from './channel.js';

export interface FanOutOptions {
  /** Attempts per channel before its failure is reported (the first included). */
  attempts?: number;
  /** Wait before the first retry; doubles each time. */
  minRetryMs?: number;
  now?: () => Date;
}

/**
 * Deliver one notification through every channel at once. Each channel retries on its own, so a
 * channel that is down never delays or blocks the others (nor the decision, which does not
 * depend on delivery); once its retries are spent its failure becomes a Delivery with
 * `ok: false`. Never throws: what happened is in the returned deliveries.
 */
export async function fanOut(
  channels: NotificationChannel[],
  notification: Notification,
  people: Contact[],
  options: FanOutOptions = {},
): Promise<Delivery[]> {
  const now = options.now ?? (() => new Date());
  const results = await Promise.all(
    channels.map(async (channel) => {
      try {
        return await pRetry(() => channel.deliver(notification, people), {
          retries: Math.max(0, (options.attempts ?? 3) - 1),
          minTimeout: options.minRetryMs ?? 250,
          factor: 2,
        });
      } catch (err) {
        return [
          {
            channel: channel.name,
            to: '*',
            ok: false,
            at: now().toISOString(),
            error: err instanceof Error ? err.message : String(err),
          } satisfies Delivery,
        ];
      }
    }),
  );
  return results.flat();
}
