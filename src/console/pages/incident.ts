import type { InputSpec } from '../../domain/playbook/playbook.js';
import type { ApprovalRequest, ResponseStatus } from '../../domain/response/status.js';
import { html, time, type Html } from '../html.js';

export interface Abilities {
  decide: boolean;
  optOut: boolean;
  optIn: boolean;
  stop: boolean;
  settle: boolean;
}

/** The live part of an incident's page: state, steps, requests and who was asked, the timeline. */
export function incidentLive(s: ResponseStatus): Html {
  return html`${
      s.dryRun
        ? html`<p class="dry-run" data-dry-run>
            DRY RUN: a rehearsal. No mitigation runs, and only steps the playbook marks safe in a dry run touch
            anything.
          </p>`
        : ''
    }
    <p>
      <strong>${s.title}</strong> · ${s.service}/${s.environment} · severity ${s.severity} · phase
      <span class="state" data-phase="${s.phase}">${s.phase}</span>${s.dryRun ? ' (DRY RUN)' : ''}
    </p>
    ${s.blockedBy?.length ? html`<p class="error">Blocked by: ${s.blockedBy.join('; ')}</p>` : ''}
    ${(s.unknownEffects ?? [])
      .filter((u) => u.state === 'open')
      .map(
        (u) =>
          html`<p class="error" data-unknown-effect="${u.stepId}">
            Needs a person: ${u.stepId} (${u.action}) started ${time(u.startedAt)} was lost at ${time(u.lostAt)}
            (${u.cause}). Its effect is unknown; it will not be retried by itself.
            ${u.options.map((o) => `${o.choice}: ${o.does}`).join('; ')}.
          </p>`,
      )}
    <h2>Steps</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Kind</th>
          <th scope="col">Action</th>
          <th scope="col">State</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        ${s.steps.map(
          (st) =>
            html`<tr>
              <td>${st.id}</td>
              <td>${st.kind}</td>
              <td>${st.action}</td>
              <td class="state" data-step="${st.id}">${st.state}</td>
              <td>${st.note ?? st.error ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Requests</h2>
    ${s.approvals.length ? s.approvals.map(approvalFacts) : html`<p>None.</p>`}
    ${s.optOuts.filter((o) => o.active).map((o) => html`<p class="error">Opted out (${o.mode}) by ${o.actor.name}: ${o.reason}</p>`)}
    <h2>Timeline</h2>
    ${s.timelinePage && s.timelinePage.total > s.timeline.length ? html`<p>The newest ${s.timeline.length} of ${s.timelinePage.total} events (all of them: GET /v1/incidents/${s.incidentId}/timeline, or <code>interlock incidents timeline ${s.incidentId}</code>).</p>` : ''}
    <ol>
      ${s.timeline.slice(-30).map((e) => html`<li>${time(e.time)} ${e.type}: ${e.summary}${e.reason ? html` (“${e.reason}”)` : ''}</li>`)}
    </ol>`;
}

function approvalFacts(a: ApprovalRequest): Html {
  const yes = a.decisions.filter((d) => d.decision === 'approve').length;
  const asked = (a.notified ?? []).flatMap((n) =>
    n.deliveries.map((d) => `${d.channel} to ${d.to} ${d.ok ? 'delivered' : `failed (${d.error ?? ''})`}`),
  );
  return html`<article aria-label="Request ${a.id}">
    <h3>${a.id}: ${a.stepId} · <span class="state" data-approval="${a.id}">${a.state}</span></h3>
    <p>${a.context.action} <code>${JSON.stringify(a.context.params)}</code></p>
    ${a.context.impact ? html`<p>Impact: ${a.context.impact}</p>` : ''}
    <p>
      Tier ${a.tier} · ${yes} of ${a.approversRequired} approvals · asked by ${a.requestedBy.name}
      (${a.context.policySource})${a.state === 'pending' ? html` · expires ${time(a.expiresAt)} (<span data-countdown="${a.expiresAt}">counting</span>)` : ''}
    </p>
    <p>
      Alerts:
      ${a.context.alerts.map((al) => al.annotations.summary ?? al.labels.alertname ?? al.fingerprint).join('; ') || 'none'}
    </p>
    <p>
      Diagnostics:
      ${a.context.diagnostics.map((d) => `${d.stepId} ${d.state}${d.output === undefined ? '' : `: ${JSON.stringify(d.output).slice(0, 300)}`}`).join('; ') || 'none'}
    </p>
    ${asked.length ? html`<p>Notified: ${asked.join(', ')}</p>` : ''}
    ${a.decisions.map((d) => html`<p>${d.decision === 'approve' ? 'Approved' : 'Rejected'} by ${d.actor.name} via ${d.actor.channel}: ${d.reason}</p>`)}
  </article>`;
}

/** Controls, shown only to those who may use them (the server checks again on every post). */
export function incidentControls(s: ResponseStatus, can: Abilities, csrf: string): Html {
  const pending = s.approvals.filter((a) => a.state === 'pending');
  const open = !['completed', 'resolved', 'cancelled', 'no-playbook'].includes(s.phase);
  const base = `/console/incidents/${encodeURIComponent(s.incidentId)}`;
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}" />`;
  const lost = (s.unknownEffects ?? []).filter((u) => u.state === 'open');
  return html`${
    can.settle
      ? lost.map(
          (u) =>
            html`<form method="post" action="${base}/steps/${u.stepId}/settle" aria-label="Settle ${u.stepId}">
              <fieldset>
                <legend>${u.stepId}: effect unknown</legend>
                ${hidden} <label for="settle-${u.stepId}">Reason (recorded)</label
                ><textarea id="settle-${u.stepId}" name="reason" required minlength="3"></textarea>
                <button type="submit" name="choice" value="retry">Retry (approvers)</button>
                <button type="submit" name="choice" value="mark-done">Mark done</button>
                <button class="danger" type="submit" name="choice" value="hand-over">Hand over to me</button>
              </fieldset>
            </form>`,
        )
      : ''
  }
  ${
    can.decide
      ? pending.map(
          (a) =>
            html`<form method="post" action="${base}/approvals/${a.id}" aria-label="Decide ${a.id}">
              <fieldset>
                <legend>Decide ${a.id}</legend>
                ${hidden} <label for="reason-${a.id}">Reason (recorded)</label
                ><textarea id="reason-${a.id}" name="reason" required minlength="3"></textarea>
                ${Object.entries(a.context.adjustable as Record<string, InputSpec>).map(([name, spec]) => inputField(a, name, spec))}
                <button class="primary" type="submit" name="decision" value="approve">Approve</button>
                <button type="submit" name="decision" value="reject">Reject</button>
              </fieldset>
            </form>`,
        )
      : ''
  }
  ${
    can.optOut && open
      ? html`<form method="post" action="${base}/opt-out" aria-label="Opt out">
          <fieldset>
            <legend>Opt out</legend>
            ${hidden} <label for="optout-reason">Reason</label
            ><textarea id="optout-reason" name="reason" required minlength="3"></textarea>
            <label for="optout-step">Of</label
            ><select id="optout-step" name="step">
              <option value="">the whole response</option>
              ${s.steps.map((st) => html`<option value="${st.id}">step ${st.id}</option>`)}
            </select>
            <label for="optout-mode">How</label
            ><select id="optout-mode" name="mode">
              <option value="halt-now">halt now</option>
              <option value="finish-current-step">finish the current step</option>
              <option value="hand-over">hand over to me</option>
            </select>
            <button class="danger" type="submit">Opt out</button>
          </fieldset>
        </form>`
      : ''
  }
  ${
    can.optIn && s.optOuts.some((o) => o.active)
      ? html`<form method="post" action="${base}/opt-in" aria-label="Opt back in">
          <fieldset>
            <legend>Opt back in</legend>
            ${hidden} <label for="optin-reason">Reason</label
            ><textarea id="optin-reason" name="reason" required minlength="3"></textarea>
            <button type="submit">Opt back in</button>
          </fieldset>
        </form>`
      : ''
  }
  ${
    can.stop && open
      ? html`<form method="post" action="${base}/stop" aria-label="Emergency stop">
          <fieldset>
            <legend>Emergency stop</legend>
            ${hidden} <label for="stop-reason">Reason</label
            ><textarea id="stop-reason" name="reason" required minlength="3"></textarea>
            <label
              ><input type="checkbox" name="confirm" value="yes" required /> I want to stop this response now</label
            >
            <button class="danger" type="submit">Stop the response</button>
          </fieldset>
        </form>`
      : ''
  }`;
}

function inputField(a: ApprovalRequest, name: string, spec: InputSpec): Html {
  const id = `input-${a.id}-${name}`;
  const current = String(a.inputs[name] ?? spec.default);
  const label = html`<label for="${id}">${name}${spec.description ? ` (${spec.description})` : ''}</label>`;
  if (spec.type === 'integer' || spec.type === 'number')
    return html`${label}<input
        id="${id}"
        type="number"
        name="input.${name}"
        value="${current}"
        ${spec.min !== undefined ? html`min="${spec.min}"` : ''}
        ${spec.max !== undefined ? html`max="${spec.max}"` : ''}
        step="${spec.type === 'integer' ? '1' : 'any'}"
      />`;
  if (spec.type === 'boolean' || (spec.type === 'string' && spec.enum)) {
    const values = spec.type === 'boolean' ? ['true', 'false'] : spec.enum!;
    return html`${label}<select id="${id}" name="input.${name}">
        ${values.map((v) => html`<option value="${v}" ${v === current ? 'selected' : ''}>${v}</option>`)}
      </select>`;
  }
  return html`${label}<input id="${id}" type="text" name="input.${name}" value="${current}" />`;
}
