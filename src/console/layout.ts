import type { Controls } from '../domain/guardrails/controls.js';
import type { Principal } from '../api/auth/principals.js';
import { html, type Html } from './html.js';

export interface PageContext {
  principal?: Principal;
  csrf?: string;
  /** The controls now: a kill switch engaged shows on every page. */
  controls?: Controls;
  flash?: string;
  error?: string;
}

/** The kill-switch banner: on every page while engaged (and replaced live by the page's stream). */
export function banner(controls: Controls | undefined): Html {
  const k = controls?.killSwitch;
  return k?.engaged
    ? html`<div id="killswitch-banner" class="banner" role="alert">
        Kill switch engaged by ${k.actor?.name ?? 'someone'}: ${k.reason ?? ''}. No mitigation starts until it is
        released.
      </div>`
    : html`<div id="killswitch-banner"></div>`;
}

export function layout(title: string, ctx: PageContext, body: Html): string {
  const who = ctx.principal;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Interlock</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <script src="/console/static/console.js" defer></script>
      </head>
      <body>
        <header>
          <strong>Interlock</strong>
          ${
            who
              ? html`<nav aria-label="Main">
                    <a href="/console">Incidents</a><a href="/console/guardrails">Guardrails</a
                    ><a href="/console/audit">Audit</a><a href="/console/analytics">Analytics</a>
                  </nav>
                  <span class="who">${who.name} (${who.roles.join(', ')})</span>
                  <form class="inline" method="post" action="/console/sign-out">
                    <input type="hidden" name="csrf" value="${ctx.csrf}" /><button type="submit">Sign out</button>
                  </form>`
              : ''
          }
        </header>
        ${banner(ctx.controls)}
        <main>
          <h1>${title}</h1>
          ${ctx.flash ? html`<p class="flash" role="status">${ctx.flash}</p>` : ''}
          ${ctx.error ? html`<p class="error" role="alert">${ctx.error}</p>` : ''} ${body}
        </main>
      </body>
    </html>`.text;
}
