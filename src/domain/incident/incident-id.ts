import { createHash } from 'node:crypto';

/**
 * Alertmanager group keys look like `{}/{severity="page"}:{alertname="X"}`: stable per alert
 * group but awkward in URLs. A hash keeps the ID stable (so repeats join the same response) and
 * URL-safe. Not imported by workflow code (node:crypto).
 */
export function incidentIdFor(source: 'alertmanager', groupKey: string): string {
  const digest = createHash('sha256').update(`${source}\n${groupKey}`).digest('hex').slice(0, 24);
  return `am-${digest}`;
}

export function workflowIdFor(incidentId: string): string {
  return `incident-${incidentId}`;
}

export const INCIDENT_ID_PATTERN = /^[a-z]{2}-[0-9a-f]{24}$/;
