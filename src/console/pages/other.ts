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

export function auditPage(
  f: {
    q: string;
    from?: string;
    to?: string;
    playbook?: string;
    step?: string;
    team?: string;
    service?: string;
    type?: string[];
  },
  result: AuditSearchResult | undefined,
): Html {
  const query = new URLSearchParams(
    Object.entries(f).flatMap(([k, v]): Array<[string, string]> =>
      Array.isArray(v) ? v.map((x: string) => [k, x]) : v ? [[k, v]] : [],
    ),
  ).toString();
  // Filters that came with a link (an analytics recommendation's evidence) stay with the search.
  const kept = [
    ...(f.playbook ? [['playbook', f.playbook]] : []),
    ...(['step', 'team', 'service'] as const).flatMap((k) => (f[k] ? [[k, f[k]]] : [])),
    ...(f.type ?? []).map((t) => ['type', t]),
  ];
  return html`<form method="get" action="/console/audit" role="search" aria-label="Search the audit trail">
      ${kept.length ? html`<p>Only ${kept.map(([k, v]) => `${k} ${v}`).join(', ')}</p>` : ''}
      ${kept.map(([k, v]) => html`<input type="hidden" name="${k!}" value="${v!}" />`)}
      <label for="q">Search reasons, summaries and names</label><input id="q" type="text" name="q" value="${f.q}" />
      <label for="from">From (ISO 8601, e.g. 2026-11-23T00:00:00Z)</label
      ><input id="from" type="text" name="from" value="${f.from ?? ''}" /> <label for="to">To</label
      ><input id="to" type="text" name="to" value="${f.to ?? ''}" />
      <button type="submit">Search</button>
      ${result ? html` <a href="/console/audit/export?${query}">Export as CSV</a>` : ''}
    </form>
    ${
      result
        ? html`<p>${result.total} events</p>
            ${
              result.facets
                ? html`<p>Types: ${result.facets.types.map((b) => `${b.key} (${b.count})`).join(', ')}</p>
                    <p>People: ${result.facets.actors.map((b) => `${b.key} (${b.count})`).join(', ')}</p>
                    <p>Services: ${result.facets.services.map((b) => `${b.key} (${b.count})`).join(', ')}</p>`
                : ''
            }
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

interface ReviewEvent {
  eventId: string;
  time: string;
  type: string;
  summary: string;
  reason?: string;
  actor: { name: string; channel: string };
  causedBy?: string;
}

/** An incident's whole stored trail for review: each event, what caused it, and what followed it. */
export function reviewPage(
  events: ReviewEvent[],
  verdict: { intact: boolean; firstBroken?: { eventId: string; problem?: string } } | undefined,
): Html {
  const followers = new Map<string, string[]>();
  for (const e of events) if (e.causedBy) followers.set(e.causedBy, [...(followers.get(e.causedBy) ?? []), e.eventId]);
  const anchor = (id: string) => `e-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const typeOf = (id: string) => events.find((e) => e.eventId === id)?.type ?? id;
  const verdictText = verdict?.intact
    ? 'The trail is intact: its links, seals and closing event check out.'
    : `The trail is NOT intact: ${verdict?.firstBroken?.problem ?? 'a link is broken'} (at ${verdict?.firstBroken?.eventId ?? '?'}).`;
  return html`<p
      class="${verdict?.intact ? 'flash' : 'error'}"
      data-verified="${verdict?.intact ? 'intact' : 'broken'}"
    >
      ${verdictText}
    </p>
    <ol>
      ${events.map(
        (e) =>
          html`<li id="${anchor(e.eventId)}">
            ${time(e.time)} <strong>${e.type}</strong> by ${e.actor.name} (${e.actor.channel}):
            ${e.summary}${e.reason ? html` (“${e.reason}”)` : ''}
            ${e.causedBy ? html` · caused by <a href="#${anchor(e.causedBy)}">${typeOf(e.causedBy)}</a>` : ''}
            ${
              followers.get(e.eventId)?.length
                ? html` · followed by
                  ${followers.get(e.eventId)!.map((id) => html`<a href="#${anchor(id)}">${typeOf(id)}</a> `)}`
                : ''
            }
          </li>`,
      )}
    </ol>`;
}

/** Adding and lifting pauses, rules and freezes (admins): one form each, one removal per control. */
export function controlForms(c: Controls, can: boolean, csrf: string): Html {
  if (!can) return html``;
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}" />`;
  const field = (id: string, label: string, name: string, extra = html``) =>
    html`<label for="${id}">${label}</label><input id="${id}" type="text" name="${name}" ${extra} />`;
  const reason = (id: string) =>
    html`<label for="${id}">Reason</label><textarea id="${id}" name="reason" required minlength="3"></textarea>`;
  const removals = (kind: 'pause' | 'rule' | 'freeze', items: Array<{ id: string }>) =>
    items.map(
      (x) =>
        html`<form
          method="post"
          action="/console/guardrails/${kind}/${x.id}/remove"
          aria-label="Remove ${kind} ${x.id}"
        >
          <fieldset>
            <legend>Remove ${kind} ${x.id}</legend>
            ${hidden} ${reason(`remove-${kind}-${x.id}`)}
            <button type="submit">Remove</button>
          </fieldset>
        </form>`,
    );
  return html`<form method="post" action="/console/guardrails/pause" aria-label="Add a pause">
      <fieldset>
        <legend>Pause automation for a service</legend>
        ${hidden} ${field('pause-service', 'Service', 'service', html`required`)} ${reason('pause-reason')}
        <button type="submit">Pause</button>
      </fieldset>
    </form>
    <form method="post" action="/console/guardrails/rule" aria-label="Add a rule">
      <fieldset>
        <legend>Add a rule</legend>
        ${hidden} ${field('rule-service', 'Service', 'service')}
        ${field('rule-environment', 'Environment', 'environment')}
        ${field('rule-action', 'Action (e.g. shell.command)', 'action')}
        <label for="rule-effect">Effect</label
        ><select id="rule-effect" name="effect">
          <option value="approval">needs an approval</option>
          <option value="manual-only">people do it</option>
          <option value="block">never automated</option>
        </select>
        ${field('rule-tier', 'Tier (for approval)', 'tier')} ${reason('rule-reason')}
        <button type="submit">Add the rule</button>
      </fieldset>
    </form>
    <form method="post" action="/console/guardrails/freeze" aria-label="Add a freeze">
      <fieldset>
        <legend>Declare a freeze</legend>
        ${hidden} ${field('freeze-service', 'Service (empty: everything)', 'service')}
        ${field('freeze-start', 'Start (ISO 8601)', 'start', html`required`)}
        ${field('freeze-end', 'End (ISO 8601)', 'end', html`required`)}
        <label for="freeze-mode">Mode</label
        ><select id="freeze-mode" name="mode">
          <option value="require-approval">automatic steps need the freeze tier's approval</option>
          <option value="block">nothing runs</option>
        </select>
        ${field('freeze-tier', 'Tier', 'tier', html`value="lead"`)} ${reason('freeze-reason')}
        <button type="submit">Declare</button>
      </fieldset>
    </form>
    ${removals('pause', c.pauses)}
    ${removals(
      'rule',
      c.rules.filter((r) => r.source === 'runtime'),
    )}
    ${removals('freeze', c.freezes)}`;
}
