import type { DeliveryReport } from '../../domain/notification/delivery.js';
import type { Notification } from '../../domain/notification/notification.js';

/**
 * What a delivery report means for the audit trail: one line saying who was asked where, and one
 * per failed delivery (a failed channel never stops the response, but it must be seen).
 */
export function describeDeliveries(
  n: Notification,
  report: DeliveryReport,
): { delivered?: string; failed: string[]; unrouted?: string } {
  const people = report.recipients[0]?.people;
  const tier = report.recipients[0]?.tier ?? 'responders';
  const onCall =
    people === undefined ? '' : people.length ? ` (on call: ${people.join(', ')})` : ' (nobody is on call)';
  const ok = report.deliveries.filter((d) => d.ok).map((d) => `${d.channel} to ${d.to}`);
  const failed = report.deliveries
    .filter((d) => !d.ok)
    .map((d) => `Notification ${n.kind} via ${d.channel} to ${d.to} could not be sent: ${d.error ?? 'unknown error'}`);
  return {
    delivered: ok.length ? `Notification ${n.kind} for ${tier}${onCall} sent: ${ok.join(', ')}` : undefined,
    failed,
    unrouted: people !== undefined && people.length === 0 ? tier : undefined,
  };
}
