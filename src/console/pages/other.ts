import type { AuditSearchResult } from '../../clients/opensearch/audit-query.js';
import type { Controls } from '../../domain/guardrails/controls.js';
import { html, raw, time, type Html } from '../html.js';

export function signInPage(opts: { oidcHref?: string; tokenSignIn: boolean; returnTo: string }): Html {
  return html`${opts.oidcHref ? html`<p><a href="${opts.oidcHref}">Sign in with your organisation's account</a></p>` : ''}
  ${
    opts.tokenSignIn
      ? html`<form method="post" action="/console/sign-in" aria-label="Sign in with a token">
          <fieldset>
            <legend>Development sign-in with an API token</legend>
            <input type="hidden" name="returnTo" value="${opts.returnTo}" />
            <label for="token">API token</label
            ><input id="token" type="password" name="token" autocomplete="off" required />
            <button class="primary" type="submit">Sign in</button>
          </fieldset>
        </form>`
      : ''
  }
  ${!opts.oidcHref && !opts.tokenSignIn ? html`<p class="error">No sign-in is configured on this gateway.</p>` : ''}`;
}

export function guardrailsLive(c: Controls): Html {
  const k = c.killSwitch;
  return html`<p>
      Kill switch:
      <strong class="state" data-killswitch="${k.engaged ? 'engaged' : 'released'}"
        >${k.engaged ? 'ENGAGED' : 'released'}</strong
      >${k.engaged ? html` by ${k.actor?.name ?? 'someone'} at ${time(k.at)}: ${k.reason ?? ''}` : ''}
    </p>
    <h2>Pauses</h2>
    ${
      c.pauses.length
        ? html`<ul>
            ${c.pauses.map((p) => html`<li>${p.id}: ${JSON.stringify(p.selector)} by ${p.actor.name ?? ''}: ${p.reason}${p.expiresAt ? html`, until ${time(p.expiresAt)}` : ''}</li>`)}
          </ul>`
        : html`<p>None.</p>`
    }
    <h2>Rules</h2>
    ${
      c.rules.length
        ? html`<ul>
            ${c.rules.map((r) => html`<li>${r.id}: ${JSON.stringify(r)}</li>`)}
          </ul>`
        : html`<p>None.</p>`
    }
    <h2>Freezes</h2>
    ${
      c.freezes.length
        ? html`<ul>
            ${c.freezes.map((f) => html`<li>${f.id}: ${JSON.stringify(f)}</li>`)}
          </ul>`
        : html`<p>None.</p>`
    }`;
}

export function guardrailControls(c: Controls, can: { engage: boolean; release: boolean }, csrf: string): Html {
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}" />`;
  if (!c.killSwitch.engaged && can.engage)
    return html`<form method="post" action="/console/guardrails/kill-switch" aria-label="Engage the kill switch">
      <fieldset>
        <legend>Engage the kill switch</legend>
        ${hidden} <label for="ks-reason">Reason</label
        ><textarea id="ks-reason" name="reason" required minlength="3"></textarea>
        <label><input type="checkbox" name="confirm" value="yes" required /> Stop every mitigation everywhere</label>
        <button class="danger" type="submit">Engage</button>
      </fieldset>
    </form>`;
  if (c.killSwitch.engaged && can.release)
    return html`<form
      method="post"
      action="/console/guardrails/kill-switch/release"
      aria-label="Release the kill switch"
    >
      <fieldset>
        <legend>Release the kill switch</legend>
        ${hidden} <label for="ksr-reason">Reason</label
        ><textarea id="ksr-reason" name="reason" required minlength="3"></textarea>
        <button type="submit">Release</button>
      </fieldset>
    </form>`;
  return html``;
}

export function auditPage(q: string, result: AuditSearchResult | undefined): Html {
  return html`<form method="get" action="/console/audit" role="search" aria-label="Search the audit trail">
      <label for="q">Search reasons, summaries and names</label><input id="q" type="text" name="q" value="${q}" />
      <button type="submit">Search</button>
      ${q ? html` <a href="/console/audit/export?q=${encodeURIComponent(q)}">Export as CSV</a>` : ''}
    </form>
    ${
      result
        ? html`<p>${result.total} events</p>
            ${result.facets ? html`<p>Types: ${result.facets.types.map((b) => `${b.key} (${b.count})`).join(', ')}</p>` : ''}
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Incident</th>
                  <th scope="col">Event</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                ${result.events.map(
                  (e) =>
                    html`<tr>
                      <td>${time(e.time)}</td>
                      <td><a href="/console/incidents/${e.incidentId}">${e.incidentId}</a></td>
                      <td>${e.type}</td>
                      <td>${e.actor.name} (${e.actor.channel})</td>
                      <td>
                        ${highlighted(e.highlight?.reason?.[0], e.reason)}${highlighted(e.highlight?.summary?.[0], e.summary)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }`;
}

/** OpenSearch's highlight is already HTML-escaped with <mark> around matches (see audit-query.ts). */
function highlighted(fragment: string | undefined, plain: string | undefined): Html {
  if (fragment) return html`<div>${raw(fragment)}</div>`;
  return plain ? html`<div>${plain}</div>` : html``;
}
