/**
 * One message a channel sent (or failed to send) for a notification: recorded by the workflow on
 * the approval request (status) and in the audit trail, so everyone can see who was asked,
 * where, when, and whether it arrived.
 */
export interface Delivery {
  channel: 'slack' | 'email' | 'pagerduty' | 'webhook' | 'log';
  /** A person's id, or a shared destination (`#incidents`, `pagerduty:<routing key id>`). */
  to: string;
  ok: boolean;
  at: string;
  /** Why it failed, without secrets. */
  error?: string;
  /**
   * What the channel needs to find this message again (Slack `channel:ts` to update it when the
   * request is decided; a PagerDuty dedup key to resolve the page).
   */
  ref?: string;
}

/** What the sending activity reports back to the workflow. */
export interface DeliveryReport {
  /** Who was on call for each recipient tier when it was sent (absent: no on-call source). */
  recipients: Array<{ tier: string; people?: string[] }>;
  deliveries: Delivery[];
}
