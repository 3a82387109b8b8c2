import { CancellationScope, condition } from '@temporalio/workflow';
import type { Notification } from '../../domain/notification/notification.js';
import type { DeliveryReport } from '../../domain/notification/delivery.js';

/**
 * Notifications that handlers raise (an opt-out, a decision, the kill switch) cannot be awaited
 * where they happen: a handler must not wait on a channel. They queue here and a background pump
 * sends them one by one, so a slow or failing channel never delays a decision, an opt-out or a
 * mitigation. A send that still fails after the activity's retries is handed to `failed`.
 */
export class NotificationOutbox {
  private readonly queue: Notification[] = [];
  private closing = false;
  private sending = false;
  /** Paused: nothing new is sent (a continuation takes the queue along). */
  private paused = false;
  private pump: Promise<void> | undefined;

  constructor(
    private readonly send: (n: Notification) => Promise<DeliveryReport | void>,
    private readonly failed: (n: Notification, cause: string) => void,
    /** What reached whom (responses that record deliveries; older ones pass nothing). */
    private readonly delivered?: (n: Notification, report: DeliveryReport) => void,
  ) {}

  /** What is raised but not sent yet (a continued run takes it along). */
  get queued(): Notification[] {
    return [...this.queue];
  }

  push(notification: Notification): void {
    this.queue.push(notification);
  }

  /** Non-cancellable: an emergency stop still tells people what happened. */
  start(): void {
    this.pump = CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => (!this.paused && this.queue.length > 0) || this.closing);
        const next = this.queue.shift();
        if (!next) return;
        this.sending = true;
        try {
          const report = await this.send(next);
          if (this.delivered && report) this.delivered(next, report);
        } catch (err) {
          this.failed(
            next,
            err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
          );
        } finally {
          this.sending = false;
        }
      }
    });
  }

  /** Send nothing new and wait for the send that is out: the queue can then be carried over. */
  async pause(): Promise<void> {
    this.paused = true;
    await condition(() => !this.sending);
  }

  /** Send again (a continuation that did not happen). */
  resume(): void {
    this.paused = false;
  }

  /** Wait until everything queued so far is sent (and its deliveries recorded), without stopping. */
  async drain(): Promise<void> {
    await condition(() => this.queue.length === 0 && !this.sending);
  }

  /** Send what is queued, then stop; call once, at the end. */
  async flush(): Promise<void> {
    this.closing = true;
    await this.pump;
  }
}
