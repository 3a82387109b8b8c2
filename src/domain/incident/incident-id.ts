import { createHash } from 'node:crypto';

/** Short prefixes keep incident IDs readable and tell where an incident came from. */
export const SOURCE_PREFIX = { alertmanager: 'am', grafana: 'gf', pagerduty: 'pd', generic: 'gn' } as const;
export type AlertSource = keyof typeof SOURCE_PREFIX;

/**
 * Group keys look like `{}/{severity="page"}:{alertname="X"}`: stable per alert group but awkward
 * in URLs. A hash keeps the ID stable (so repeats join the same response) and URL-safe. Not
 * imported by workflow code (node:crypto).
 */
export function incidentIdFor(source: AlertSource, groupKey: string): string {
  const digest = createHash('sha256').update(`${source}\n${groupKey}`).digest('hex').slice(0, 24);
  return `${SOURCE_PREFIX[source]}-${digest}`;
}

export function workflowIdFor(incidentId: string): string {
  return `incident-${incidentId}`;
}

export const INCIDENT_ID_PATTERN = /^(am|gf|pd|gn)-[0-9a-f]{24}$/;
