import { z } from 'zod';
import type { AlertDelivery } from './alert.js';

/**
 * Prometheus Alertmanager webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Unknown fields are allowed: Alertmanager may add some, and they must not break intake.
 */
export const labelSet = z.record(z.string(), z.string());
/** One alert as Alertmanager (and Grafana, which extends it) sends it. */
export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet,
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});
export const alertmanagerWebhookSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(4096),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  alerts: z.array(webhookAlertSchema).min(1).max(1000),
});
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;

/** The incident key: Alertmanager's group key, stable for every notification of the group. */
export const alertmanagerIncidentKey = (payload: AlertmanagerWebhook) => payload.groupKey;

export function normalizeAlertmanager(
  payload: AlertmanagerWebhook,
  incidentId: string,
  receivedAt: Date,
): AlertDelivery {
  const labels = { ...payload.commonLabels };
  return {
    source: 'alertmanager',
    incidentId,
    receivedAt: receivedAt.toISOString(),
    status: payload.status,
    title: payload.commonAnnotations.summary ?? labels.alertname ?? payload.groupKey,
    labels,
    alerts: payload.alerts.map((a, i) => ({
      fingerprint: a.fingerprint ?? `${i}`,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
    })),
    externalUrl: payload.externalURL,
  };
}
