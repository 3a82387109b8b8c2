import type { IncidentListEntry } from '../../api/incident-list.js';
import { isDryRunId } from '../../domain/incident/incident-id.js';
import { html, time, type Html } from '../html.js';

/** What an open response waits for and what blocks it (read from its status; see routes.ts). */
export interface RowDetails {
  waitingFor?: string;
  blockedBy?: string;
}

/** The live list's rows: what each response is doing, whom it waits for, what blocks it. */
export function incidentRows(incidents: IncidentListEntry[], details: Map<string, RowDetails> = new Map()): Html {
  if (!incidents.length) return html`<p>No responses yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Incident</th>
        <th scope="col">Phase</th>
        <th scope="col">Service</th>
        <th scope="col">Environment</th>
        <th scope="col">Severity</th>
        <th scope="col">Waiting for</th>
        <th scope="col">Blocked by</th>
        <th scope="col">Started</th>
      </tr>
    </thead>
    <tbody>
      ${incidents.map(
        (i) =>
          html`<tr>
            <td>
              <a href="/console/incidents/${i.incidentId}">${i.incidentId}</a
              >${isDryRunId(i.incidentId) ? ' DRY RUN' : ''}
            </td>
            <td class="state">${String(i.phase ?? i.status)}</td>
            <td>${String(i.service ?? '')}</td>
            <td>${String(i.environment ?? '')}</td>
            <td>${String(i.severity ?? '')}</td>
            <td>${details.get(i.incidentId)?.waitingFor ?? (i.awaitingApproval ? 'people' : '')}</td>
            <td>${details.get(i.incidentId)?.blockedBy ?? ''}</td>
            <td>${time(i.startTime)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function incidentsPage(rows: Html, filters: Record<string, string | undefined>): Html {
  const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as Array<[string, string]>).toString();
  return html`<form method="get" action="/console" aria-label="Filters">
      <label for="f-service">Service</label
      ><input id="f-service" type="text" name="service" value="${filters.service ?? ''}" />
      <label for="f-environment">Environment</label
      ><input id="f-environment" type="text" name="environment" value="${filters.environment ?? ''}" />
      <label for="f-open">Only open</label
      ><select id="f-open" name="open">
        <option value="">all</option>
        <option value="true" ${filters.open === 'true' ? 'selected' : ''}>open</option>
      </select>
      <button type="submit">Filter</button>
    </form>
    <section data-live="/console/live/incidents${q ? `?${q}` : ''}" aria-live="polite">${rows}</section>`;
}
