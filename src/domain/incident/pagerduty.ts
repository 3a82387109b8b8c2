import { z } from 'zod';
import type { AlertDelivery } from './alert.js';

/**
 * PagerDuty webhooks v3 (an event envelope around an incident). We act on incident.triggered
 * (opens or joins) and record incident.resolved; other event types are acknowledged and ignored
 * by the route. Unknown fields are allowed: PagerDuty adds them over time.
 */
const reference = z
  .object({
    id: z.string(),
    type: z.string().optional(),
    summary: z.string().optional(),
    html_url: z.string().optional(),
  })
  .passthrough();
export const pagerDutyWebhookSchema = z.object({
  event: z.object({
    id: z.string().min(1).max(200),
    event_type: z.string().min(1).max(100),
    resource_type: z.string(),
    occurred_at: z.string(),
    agent: reference.nullable().optional(),
    client: z.unknown().optional(),
    data: z
      .object({
        id: z.string().min(1),
        type: z.string(),
        self: z.string().optional(),
        html_url: z.string().optional(),
        number: z.number().int().optional(),
        status: z.string().optional(),
        incident_key: z.string().nullable().optional(),
        created_at: z.string().optional(),
        title: z.string().max(2000),
        service: reference,
        urgency: z.string().optional(),
        priority: reference.nullable().optional(),
      })
      .passthrough(),
  }),
});
export type PagerDutyWebhook = z.infer<typeof pagerDutyWebhookSchema>;

export const PAGERDUTY_HANDLED_EVENTS = ['incident.triggered', 'incident.resolved'] as const;

/** PagerDuty's incident, not the event: every event about it joins the same response. */
export const pagerDutyIncidentKey = (payload: PagerDutyWebhook) =>
  payload.event.data.incident_key || payload.event.data.id;

export function normalizePagerDuty(payload: PagerDutyWebhook, incidentId: string, receivedAt: Date): AlertDelivery {
  const { event } = payload;
  const data = event.data;
  const labels: Record<string, string> = {
    alertname: data.title,
    service: data.service.summary ?? data.service.id,
    pagerduty_service_id: data.service.id,
    pagerduty_incident: data.id,
    severity: data.urgency === 'high' ? 'critical' : (data.urgency ?? 'unknown'),
  };
  if (data.priority?.summary) labels.priority = data.priority.summary;
  return {
    source: 'pagerduty',
    deliveryId: event.id,
    incidentId,
    receivedAt: receivedAt.toISOString(),
    status: event.event_type === 'incident.resolved' ? 'resolved' : 'firing',
    title: data.title,
    labels,
    alerts: [
      {
        fingerprint: data.id,
        status: event.event_type === 'incident.resolved' ? 'resolved' : 'firing',
        labels,
        annotations: { summary: data.title, ...(data.html_url ? { url: data.html_url } : {}) },
        startsAt: data.created_at ?? event.occurred_at,
      },
    ],
    externalUrl: data.html_url,
  };
}
