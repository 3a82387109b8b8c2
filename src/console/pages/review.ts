import { formatDuration, formatInputs, formatTime } from '../../domain/review/format.js';
import { requestHistory, type DecisionReview, type EventRef, type IncidentReview } from '../../domain/review/report.js';
import { html, raw, type Html } from '../html.js';

/**
 * The incident review as HTML: the console's page and, wrapped in a print document, the PDF.
 * Every value from people or alerts goes through the `html` template (escaped).
 */
export function reviewSections(r: IncidentReview): Html {
  return html`<section aria-label="Summary">
      <table class="facts">
        <tbody>
          <tr>
            <th scope="row">Incident</th>
            <td><code>${r.incidentId}</code></td>
          </tr>
          <tr>
            <th scope="row">Service</th>
            <td>${r.service} / ${r.environment}, severity ${r.severity}</td>
          </tr>
          <tr>
            <th scope="row">Opened</th>
            <td>${time(r.openedAt)}</td>
          </tr>
          <tr>
            <th scope="row">Ended</th>
            <td>${r.endedAt ? html`${time(r.endedAt)} (${formatDuration(r.durationMs!)})` : 'still open'}</td>
          </tr>
          <tr>
            <th scope="row">Outcome</th>
            <td data-outcome="${r.outcome}">${r.outcome}</td>
          </tr>
          <tr>
            <th scope="row">Generated</th>
            <td>${time(r.generatedAt)}</td>
          </tr>
        </tbody>
      </table>
    </section>
    ${
      r.live
        ? html`<section aria-label="Now">
            <h2>Now</h2>
            <p>Phase: <strong>${r.live.phase}</strong></p>
            <ul>
              ${r.live.waitingFor.map((w) => html`<li>Waiting for ${w.approvalId} (${w.stepId}) from tier ${w.tier}${w.people.length ? ` (${w.people.join(', ')})` : ''}, until ${time(w.expiresAt)}</li>`)}
              ${r.live.blockedBy.map((b) => html`<li>Blocked by: ${b}</li>`)}
            </ul>
          </section>`
        : ''
    }
    <section aria-label="Decisions">
      <h2>Decisions</h2>
      ${r.decisions.length ? r.decisions.map((d, i) => decision(d, i + 1)) : html`<p>Nobody made a decision.</p>`}
    </section>
    <section aria-label="Requests">
      <h2>Requests</h2>
      ${r.requests.length ? '' : html`<p>No approval was requested.</p>`}
      ${r.requests.map(
        (q) =>
          html`<div class="request" data-request="${q.approvalId}">
            <p>
              <strong>${q.approvalId}</strong>${q.stepId ? ` (${q.stepId})` : ''}: ${q.kind} requested
              ${time(q.requestedAt)},
              <span class="state">${q.outcome}</span>${q.closedAt ? html` at ${time(q.closedAt)}` : ''}
            </p>
            <ul>
              ${requestHistory(q).map((x) => html`<li>${time(x.time)} ${x.text}</li>`)}
            </ul>
          </div>`,
      )}
    </section>
    <section aria-label="Notified, never answered">
      <h2>Notified, never answered</h2>
      ${
        r.unanswered.length
          ? html`<ul>
              ${r.unanswered.map((u) => html`<li data-unanswered="${u.person}">${u.person}: ${u.approvalId}${u.stepId ? ` (${u.stepId})` : ''}, notified ${time(u.firstNotifiedAt)}; the request was ${u.requestOutcome}${u.actedElsewhere ? '; acted elsewhere in this incident' : ''}</li>`)}
            </ul>`
          : html`<p>Everyone notified answered.</p>`
      }
    </section>
    <section aria-label="Guardrails that blocked">
      <h2>Guardrails that blocked</h2>
      ${events(r.guardrailBlocks)}
    </section>
    <section aria-label="Compensations">
      <h2>Compensations</h2>
      ${
        r.compensations.length
          ? html`<ul>
              ${r.compensations.map((c) => html`<li>${line(c)}${c.ok ? '' : html` <strong>(FAILED)</strong>`}${c.cause ? `, after ${c.cause.type}` : ''}</li>`)}
            </ul>`
          : html`<p>None.</p>`
      }
    </section>
    <section aria-label="Timeline">
      <h2>Timeline</h2>
      <table class="timeline">
        <colgroup>
          <col class="c-time" />
          <col class="c-offset" />
          <col class="c-type" />
          <col class="c-who" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">+</th>
            <th scope="col">Event</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
          </tr>
        </thead>
        <tbody>
          ${r.timeline.map(
            (e) =>
              html`<tr class="${e.human ? 'human' : ''}">
                <td>${clock(e.time)}</td>
                <td>${formatDuration(e.offsetMs)}</td>
                <td>${e.type}</td>
                <td>${e.actor.channel === 'system' ? e.actor.name : `${e.actor.name} (${e.actor.channel})`}</td>
                <td>${e.summary}${e.reason ? html` <q>${e.reason}</q>` : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
}

function decision(d: DecisionReview, n: number): Html {
  const latency = [
    d.sinceRequestMs !== undefined ? `${formatDuration(d.sinceRequestMs)} after the request` : undefined,
    d.sinceFirstNotificationMs !== undefined
      ? `${formatDuration(d.sinceFirstNotificationMs)} after the first notification`
      : undefined,
    `${formatDuration(d.sinceOpenedMs)} after the response opened`,
  ].filter(Boolean);
  return html`<article class="decision" data-decision="${d.eventId}" aria-label="Decision ${n}">
    <h3>${n}. ${d.actor.name} ${d.verb}${d.approvalId ? ` ${d.approvalId}` : d.stepId ? ` ${d.stepId}` : ''}</h3>
    <dl>
      <dt>Who</dt>
      <dd>
        ${d.actor.name} (<code>${d.actor.id}</code>) through <strong>${d.actor.channel}</strong>, at ${time(d.time)}
      </dd>
      <dt>Latency</dt>
      <dd>${latency.join('; ')}</dd>
      ${
        d.reason
          ? html`<dt>Reason</dt>
              <dd><q>${d.reason}</q></dd>`
          : ''
      }
      ${
        d.adjustedInputs
          ? html`<dt>Adjusted inputs</dt>
              <dd><code>${formatInputs(d.adjustedInputs)}</code></dd>`
          : ''
      }
      ${
        d.inputs
          ? html`<dt>Inputs decided on</dt>
              <dd><code>${formatInputs(d.inputs)}</code></dd>`
          : ''
      }
      ${
        d.stepOutcome
          ? html`<dt>Step outcome</dt>
              <dd>${line(d.stepOutcome)}</dd>`
          : ''
      }
      ${
        d.resolvedAfter
          ? html`<dt>Resolved</dt>
              <dd>${formatDuration(d.resolvedAfter.afterMs)} later: ${d.resolvedAfter.summary}</dd>`
          : ''
      }
      ${
        d.followedBy.length
          ? html`<dt>Followed by</dt>
              <dd>
                <ul>
                  ${d.followedBy.map((f) => html`<li>${line(f)}</li>`)}
                </ul>
              </dd>`
          : ''
      }
    </dl>
  </article>`;
}

/** Times to the millisecond: the review's latencies are read against them. */
const time = (iso: string) => html`<time datetime="${iso}">${formatTime(iso)}</time>`;
/** The time of day alone (the summary carries the date). */
const clock = (iso: string) => html`<time datetime="${iso}">${iso.slice(11)}</time>`;
const line = (e: EventRef) => html`${time(e.time)} <span class="type">${e.type}</span>: ${e.summary}`;
const events = (list: EventRef[]) =>
  list.length
    ? html`<ul>
        ${list.map((e) => html`<li>${line(e)}</li>`)}
      </ul>`
    : html`<p>None.</p>`;

/** Print styles: long reasons wrap, tables fit the page, a decision is never split across pages. */
const PRINT_CSS = `
@page { size: A4; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt; color: #1b1f24; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 6pt; }
h2 { font-size: 12.5pt; margin: 14pt 0 5pt; border-bottom: 1px solid #d0d7de; padding-bottom: 2pt; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 0 0 3pt; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 2.5pt 4pt; border-bottom: 0.5pt solid #d0d7de; overflow-wrap: anywhere; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.facts th { width: 22%; }
col.c-time { width: 13%; } col.c-offset { width: 9%; } col.c-type { width: 24%; } col.c-who { width: 16%; }
table.timeline { font-size: 8pt; }
tr.human td { background: #fff8e6; }
.decision { border: 0.5pt solid #d0d7de; border-left: 3pt solid #1b2733; padding: 5pt 7pt; margin: 0 0 6pt; break-inside: avoid; }
dl { display: grid; grid-template-columns: 26% 74%; margin: 0; }
dt { font-weight: 600; } dd { margin: 0 0 2pt; overflow-wrap: anywhere; }
dd ul, .request ul { margin: 0; padding-left: 12pt; }
li { overflow-wrap: anywhere; }
.request { break-inside: avoid; }
code { font-size: 8.5pt; overflow-wrap: anywhere; }
p { margin: 3pt 0; }
`;

/** A self-contained document (no stylesheet, script or image to fetch) for Chromium to print. */
export function reviewDocument(r: IncidentReview): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Incident review ${r.incidentId}</title>
        <style>
          ${raw(PRINT_CSS)}
        </style>
      </head>
      <body>
        <h1>Incident review: ${r.title}</h1>
        ${reviewSections(r)}
      </body>
    </html>`.text;
}
