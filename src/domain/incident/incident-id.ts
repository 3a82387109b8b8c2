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

/** A real incident (`am-<24 hex>`), or a dry run of one (`dryrun-am-<24 hex>-<n>`). */
export const INCIDENT_ID_PATTERN = /^(?:(?:am|gf|pd|gn)-[0-9a-f]{24}|dryrun-(?:am|gf|pd|gn)-[0-9a-f]{24}-[0-9]{1,16})$/;

/**
 * Dry runs live in their own ID space, so a rehearsal never takes (or joins, or blocks) the real
 * incident's workflow ID: `dryrun-<incidentId>-<n>`, n the start time in milliseconds (two dry
 * runs of one incident within the same millisecond share one response).
 */
export function dryRunIncidentId(incidentId: string, at: Date): string {
  return `dryrun-${incidentId}-${at.getTime()}`;
}

export const isDryRunId = (incidentId: string) => incidentId.startsWith('dryrun-');

/** The alert source an incident ID came from (its prefix). */
export function sourceOf(incidentId: string): AlertSource {
  const prefix = incidentId.replace(/^dryrun-/, '').slice(0, 2);
  const found = (Object.keys(SOURCE_PREFIX) as AlertSource[]).find((s) => SOURCE_PREFIX[s] === prefix);
  if (!found) throw new Error(`not an incident ID: ${incidentId}`);
  return found;
}
