import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Role } from '../domain/actor/actor.js';
import type { InputSpec } from '../domain/playbook/playbook.js';
import { safeReturnTo } from '../api/auth/return-to.js';
import type { BrowserSession } from '../api/auth/sessions.js';
import type { RouteContract } from '../api/contract/schemas.js';
import { toHttpError } from '../api/errors.js';
import { html, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import type { ConsoleDependencies } from './routes.js';

/** What every console page handler uses: the session, the page shell, and the form-post discipline. */
export function createKit(deps: ConsoleDependencies) {
  const { sessions } = deps;
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 });
  const current = (res: Response) => res.locals.session as BrowserSession;
  const controls = () => deps.guardrails.controls().catch(() => undefined);
  const page = async (res: Response, title: string, body: Html, extra: Partial<PageContext> = {}, status = 200) => {
    const s = current(res);
    res
      .status(status)
      .set({ 'Cache-Control': 'no-store' })
      .send(layout(title, { principal: s.principal, csrf: s.csrf, controls: await controls(), ...extra }, body));
  };
  /** A form post: CSRF first, then the role the API route needs, then the action; PRG on success. */
  const post =
    (route: RouteContract, act: (req: Request, res: Response, s: BrowserSession) => Promise<string>): RequestHandler =>
    async (req, res, next) => {
      const s = current(res);
      const body = req.body as Record<string, string>;
      if (!sessions.csrfMatches(s, body.csrf))
        return void (await page(
          res,
          'Refused',
          html`<p>This form was not sent from an Interlock page. Reload it and try again.</p>`,
          {},
          403,
        ));
      if (!allowed(route, s.principal.roles))
        return void (await page(
          res,
          'Refused',
          html`<p>Your roles (${s.principal.roles.join(', ')}) do not allow this.</p>`,
          {},
          403,
        ));
      try {
        const done = await act(req, res, s);
        res.redirect(303, `${backTo(req.originalUrl)}?done=${encodeURIComponent(done)}`);
      } catch (err) {
        const http = toHttpError(err);
        if (!http) return next(err);
        await page(
          res,
          'Not done',
          html`<p>${http.message}</p>
            <p><a href="${backTo(req.originalUrl)}">Back</a></p>`,
          {},
          http.status,
        );
      }
    };

  return { current, controls, page, post, form };
}
export type ConsoleKit = ReturnType<typeof createKit>;

export function allowed(route: RouteContract, roles: Role[]): boolean {
  return Array.isArray(route.access) && route.access.some((r) => roles.includes(r));
}

export const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Only console paths are places to come back to after signing in. */
export function consolePath(value: unknown): string | undefined {
  const safe = safeReturnTo(value);
  return safe && (safe === '/console' || safe.startsWith('/console/') || safe.startsWith('/console?'))
    ? safe
    : undefined;
}

/** Posted `input.<name>` fields typed by the step's declared inputs; only values that differ. */
export function typedInputs(
  body: Record<string, string>,
  specs: Record<string, InputSpec>,
  current: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const text = body[`input.${name}`];
    if (text === undefined || text === '') continue;
    const value =
      spec.type === 'integer' || spec.type === 'number'
        ? Number(text)
        : spec.type === 'boolean'
          ? text === 'true'
          : text;
    if (value !== current[name]) out[name] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Where a post's page is: the incident or the guardrails page it was sent from. */
export function backTo(url: string): string {
  const path = url.split('?')[0]!;
  const incident = /^\/console\/incidents\/[^/]+/.exec(path);
  if (incident) return incident[0];
  return path.startsWith('/console/guardrails') ? '/console/guardrails' : '/console';
}
