import { z } from 'zod';
import type { AlertDelivery } from './alert.js';

/** For anything else that can POST JSON: the smallest useful alert. */
const labelSet = z.record(z.string().max(200), z.string().max(2000));
export const genericAlertSchema = z
  .object({
    /** Alerts with the same key belong to one incident (one response). */
    dedupKey: z.string().min(1).max(1000),
    /** The sender's ID for this delivery; a redelivery with the same ID is recorded once. */
    deliveryId: z.string().min(1).max(500).optional(),
    title: z.string().min(1).max(2000),
    status: z.enum(['firing', 'resolved']).default('firing'),
    labels: labelSet.default({}),
    annotations: labelSet.default({}),
    startsAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type GenericAlert = z.infer<typeof genericAlertSchema>;

export const genericIncidentKey = (payload: GenericAlert) => payload.dedupKey;

export function normalizeGeneric(payload: GenericAlert, incidentId: string, receivedAt: Date): AlertDelivery {
  return {
    source: 'generic',
    deliveryId: payload.deliveryId,
    incidentId,
    receivedAt: receivedAt.toISOString(),
    status: payload.status,
    title: payload.title,
    labels: payload.labels,
    alerts: [
      {
        fingerprint: payload.dedupKey,
        status: payload.status,
        labels: payload.labels,
        annotations: { summary: payload.title, ...payload.annotations },
        startsAt: payload.startsAt ?? receivedAt.toISOString(),
      },
    ],
  };
}
