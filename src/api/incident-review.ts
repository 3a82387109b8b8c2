import type { Client } from '@temporalio/client';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import * as msg from '../contracts/incident-response.js';
import type { ResponseStatus } from '../domain/response/status.js';
import { buildIncidentReview, type IncidentReview } from '../domain/review/report.js';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../domain/incident/incident-id.js';
import { withDeadline } from './mount.js';

/**
 * One incident's review, for the API, the console and the PDF: its stored audit trail and, while
 * its response runs, its status (what it waits for now, and the newest events, which indexing may
 * not have stored yet). Undefined when nothing is known about the incident.
 */
export async function incidentReview(
  store: AuditStore,
  client: Client | undefined,
  incidentId: string,
  now = new Date(),
): Promise<IncidentReview | undefined> {
  if (!INCIDENT_ID_PATTERN.test(incidentId)) return undefined;
  const [events, status] = await Promise.all([store.incidentEvents(incidentId), openStatus(client, incidentId)]);
  if (events.length === 0 && !status?.timeline.length) return undefined;
  return buildIncidentReview(events, { now, status });
}

/** The status of a running response; an ended one (or Temporal not answering) adds nothing. */
async function openStatus(client: Client | undefined, incidentId: string): Promise<ResponseStatus | undefined> {
  if (!client) return undefined;
  const handle = client.workflow.getHandle(workflowIdFor(incidentId));
  try {
    const { status } = await withDeadline(handle.describe(), 5000);
    if (status.name !== 'RUNNING') return undefined;
    // The largest page the query gives: the newest events, not yet indexed, are among them.
    return await withDeadline(handle.query(msg.statusQuery, { limit: 500 }), 5000);
  } catch {
    return undefined;
  }
}
