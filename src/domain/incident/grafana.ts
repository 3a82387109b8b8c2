import { z } from 'zod';
import type { AlertDelivery } from './alert.js';
import { labelSet, webhookAlertSchema } from './alertmanager.js';

/**
 * Grafana alerting webhook contact point payload (Grafana 9+ unified alerting): Alertmanager's
 * shape plus title/state/message and per-alert values and links. Unknown fields are allowed.
 */
export const grafanaWebhookSchema = z.object({
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().int().optional(),
  alerts: z
    .array(
      webhookAlertSchema.extend({
        silenceURL: z.string().optional(),
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        values: z.record(z.string(), z.number()).nullable().optional(),
      }),
    )
    .min(1)
    .max(1000),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  version: z.literal('1'),
  groupKey: z.string().min(1).max(4096),
  truncatedAlerts: z.number().int().min(0).optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});
export type GrafanaWebhook = z.infer<typeof grafanaWebhookSchema>;

export function normalizeGrafana(payload: GrafanaWebhook, incidentId: string, receivedAt: Date): AlertDelivery {
  return {
    source: 'grafana',
    incidentId,
    receivedAt: receivedAt.toISOString(),
    status: payload.status,
    title: payload.commonAnnotations.summary ?? payload.title ?? payload.commonLabels.alertname ?? payload.groupKey,
    labels: { ...payload.commonLabels },
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
