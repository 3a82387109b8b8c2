import { z } from 'zod';

/**
 * One delivery from an alerting system, normalized. The response keeps every delivery so the
 * approver sees what triggered it and what joined later.
 */
export const alertSchema = z.object({
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertDeliverySchema = z.object({
  source: z.enum(['alertmanager', 'grafana', 'pagerduty', 'generic']),
  /** The sender's own ID for this delivery, when it has one: a redelivery is recorded once. */
  deliveryId: z.string().max(500).optional(),
  incidentId: z.string(),
  receivedAt: z.string(),
  status: z.enum(['firing', 'resolved']),
  title: z.string(),
  /** Labels shared by the group (drive playbook matching and the search attributes). */
  labels: z.record(z.string(), z.string()),
  alerts: z.array(alertSchema),
  externalUrl: z.string().optional(),
});
export type AlertDelivery = z.infer<typeof alertDeliverySchema>;

/** The incident fields everything else filters by, read from conventional label names. */
export function incidentFacets(labels: Record<string, string>): {
  service: string;
  environment: string;
  severity: string;
} {
  return {
    service: labels.service ?? labels.job ?? 'unknown',
    environment: labels.environment ?? labels.env ?? 'unknown',
    severity: labels.severity ?? 'unknown',
  };
}
