import { GROUP_BY, type AnalyticsReport, type GroupMetrics, type Percentiles } from '../../domain/analytics/report.js';
import { html, time, type Html } from '../html.js';

export interface AnalyticsForm {
  groupBy: string;
  from?: string;
  to?: string;
  team?: string;
  service?: string;
  playbook?: string;
}

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const pair = (p: Percentiles) => (p.p50 === null ? '–' : `${seconds(p.p50)} / ${seconds(p.p95)}`);
const label = (k: GroupMetrics['key']) =>
  k.step ? `${k.playbook} / ${k.step}` : (k.playbook ?? k.action ?? k.service ?? k.team ?? 'All');

const COLUMNS = [
  'Responses',
  'Automatic',
  'Approved',
  'Rejected',
  'Opted out',
  'Expired',
  'Escalations',
  'Adjusted',
  'Mitigated',
  'Compensations',
  'Kill switch blocks',
  'Guardrail blocks',
  'Request → decision p50 / p95',
  'Notified → decision p50 / p95',
  'Time to mitigate p50 / p95',
];

function row(g: GroupMetrics, head: Html | string): Html {
  const cells = [
    g.responses,
    g.automatic,
    g.approved,
    g.rejected,
    g.optedOut,
    g.expired,
    g.escalations,
    g.adjusted,
    g.mitigated,
    g.compensations,
    g.killSwitchBlocks,
    g.guardrailBlocks,
    pair(g.approvalLatencyMs),
    pair(g.notifiedLatencyMs),
    pair(g.timeToMitigateMs),
  ];
  return html`<tr>
    <th scope="row">${head}</th>
    ${cells.map((c) => html`<td>${c}</td>`)}
  </tr>`;
}

/** The analytics page: the form, the recommendations with their evidence, then the table. */
export function analyticsPage(f: AnalyticsForm, report: AnalyticsReport | undefined): Html {
  const field = (name: keyof AnalyticsForm, text: string) =>
    html`<label for="${name}">${text}</label
      ><input id="${name}" type="text" name="${name}" value="${f[name] ?? ''}" />`;
  return html`<form method="get" action="/console/analytics" aria-label="Analytics">
      <label for="groupBy">Per</label
      ><select id="groupBy" name="groupBy">
        ${GROUP_BY.map((g) => html`<option value="${g}" ${g === f.groupBy ? 'selected' : ''}>${g}</option>`)}
      </select>
      ${field('from', 'From (ISO 8601; default 30 days ago)')} ${field('to', 'To (default now)')}
      ${field('team', 'Team')} ${field('service', 'Service')} ${field('playbook', 'Playbook')}
      <button type="submit">Show</button>
    </form>
    ${
      report
        ? html`<p>From ${time(report.query.from)} to ${time(report.query.to)}.</p>
            <h2>Recommendations</h2>
            <p>Suggestions only: nothing here changes a playbook or a policy.</p>
            ${
              report.recommendations.length
                ? html`<ul class="recommendations">
                    ${report.recommendations.map(
                      (r) => html`<li>${r.message} <a href="${r.links.console}">Evidence</a></li>`,
                    )}
                  </ul>`
                : html`<p>None for this range.</p>`
            }
            <h2>Per ${report.query.groupBy}</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">${report.query.groupBy}</th>
                  ${COLUMNS.map((c) => html`<th scope="col">${c}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${report.groups.map((g) => row(g, label(g.key)))} ${row(report.total, html`<strong>All</strong>`)}
              </tbody>
            </table>
            ${report.truncated ? html`<p>Only the largest groups are shown.</p>` : ''}`
        : ''
    }`;
}
