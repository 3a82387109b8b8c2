import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import * as g from '../contracts/guardrails.js';
import * as msg from '../contracts/incident-response.js';
import type { Role } from '../domain/actor/actor.js';
import type { InputSpec } from '../domain/playbook/playbook.js';
import type { ResponseStatus } from '../domain/response/status.js';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import { actorFor, type PrincipalDirectory } from '../api/auth/principals.js';
import { safeReturnTo } from '../api/auth/return-to.js';
import type { BrowserSession, Sessions } from '../api/auth/sessions.js';
import type { BrowserSignIn } from '../api/auth/browser-session.js';
import { ROUTES } from '../api/contract.js';
import type { RouteContract } from '../api/contract/schemas.js';
import { toHttpError } from '../api/errors.js';
import type { guardrailInputs } from '../api/guardrail-inputs.js';
import { listIncidents } from '../api/incident-list.js';
import { withDeadline } from '../api/mount.js';
import type { WorkflowInputs } from '../api/workflow-inputs.js';
import { html, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { liveStream } from './live.js';
import { incidentControls, incidentLive } from './pages/incident.js';
import { incidentRows, incidentsPage, type RowDetails } from './pages/incidents.js';
import { auditPage, controlForms, guardrailControls, guardrailsLive, reviewPage, signInPage } from './pages/other.js';
import { verifyIncidentTrail, writeAuditExport } from '../api/audit-trail.js';

export interface ConsoleDependencies {
  sessions: Sessions;
  /** OIDC sign-in, when configured: the sign-in page links to it. */
  signIn?: BrowserSignIn;
  /** Accept an API token on the sign-in page (development; CONSOLE_TOKEN_SIGNIN). */
  tokenSignIn: boolean;
  principals: PrincipalDirectory;
  client: Client;
  inputs: WorkflowInputs;
  guardrails: ReturnType<typeof guardrailInputs>;
  audit: AuditStore;
  log: Logger;
}

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

/**
 * The web console at /console: server-rendered pages, live parts over server-sent events, forms
 * that post (no framework). It acts through the same modules as the HTTP API (signed workflow
 * updates, the same refusals and audit), as the signed-in person with channel `console`; each
 * control is shown only to those whose roles the matching API route admits, and checked again.
 */
export function consoleRoutes(app: Express, deps: ConsoleDependencies, limit: RequestHandler) {
  const { sessions, inputs } = deps;
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 });
  const router = express.Router();
  router.use('/static', express.static(STATIC, { maxAge: '1h', index: false }));
  router.use(limit);

  router.get('/sign-in', (req, res) => {
    const returnTo = consolePath(req.query.returnTo) ?? '/console';
    res.send(
      layout(
        'Sign in',
        {},
        signInPage({ oidcHref: deps.signIn?.loginHref(returnTo), tokenSignIn: deps.tokenSignIn, returnTo }),
      ),
    );
  });
  router.post('/sign-in', form, async (req, res) => {
    const body = req.body as Record<string, string>;
    const principal = deps.tokenSignIn && body.token ? deps.principals.authenticate(body.token) : undefined;
    if (!principal)
      return void res.status(401).send(
        layout(
          'Sign in',
          { error: 'That token is not valid here.' },
          signInPage({
            tokenSignIn: deps.tokenSignIn,
            oidcHref: deps.signIn?.loginHref('/console'),
            returnTo: '/console',
          }),
        ),
      );
    await sessions.start(res, principal);
    res.redirect(303, consolePath(body.returnTo) ?? '/console');
  });

  // Everything below needs a session.
  router.use(async (req, res, next) => {
    const session = await sessions.read(req);
    if (!session) return void res.redirect(303, `/console/sign-in?returnTo=${encodeURIComponent(req.originalUrl)}`);
    res.locals.session = session;
    next();
  });
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

  // Whom an open response waits for, and what blocks it, are in its status, not in the listing.
  // Read in the background for the rows that wait or are blocked, at most once a second per
  // response for all viewers, with a short deadline: a response whose worker is away must not
  // hold the list (its row shows what the listing says until its status answers).
  const rowDetails = new Map<string, RowDetails & { at: number }>();
  const refresh = (incidentId: string, now: number) => {
    rowDetails.set(incidentId, { ...rowDetails.get(incidentId), at: now });
    void withDeadline(inputs.handleFor(incidentId).query(msg.statusQuery), 2_000)
      .then((s) => {
        const waiting = s.approvals.filter((a) => a.state === 'pending');
        rowDetails.set(incidentId, {
          at: now,
          waitingFor: waiting.length
            ? waiting
                .map((a) => {
                  const people = a.notified?.at(-1)?.people;
                  return `${a.kind} ${a.id} from ${a.tier}${people ? ` (${people.join(', ') || 'nobody on call'})` : ''}`;
                })
                .join('; ')
            : undefined,
          blockedBy: s.blockedBy?.join('; '),
        });
      })
      .catch(() => undefined);
  };
  async function listed(filters: Record<string, string | undefined>) {
    const { incidents } = await listIncidents(deps.client, { limit: 50, ...filters } as never);
    const now = Date.now();
    for (const i of incidents)
      if (i.status === 'RUNNING' && (i.awaitingApproval || i.phase === 'blocked'))
        if (now - (rowDetails.get(i.incidentId)?.at ?? 0) > 1_000) refresh(i.incidentId, now);
    const shown = new Map(incidents.map((i) => [i.incidentId, rowDetails.get(i.incidentId) ?? {}]));
    return incidentRows(incidents, shown);
  }

  router.get('/', async (req, res) => {
    const filters = {
      service: str(req.query.service),
      environment: str(req.query.environment),
      open: str(req.query.open),
    };
    await page(res, 'Incidents', incidentsPage(await listed(filters), filters));
  });
  router.get('/live/incidents', (req, res) => {
    const filters = {
      service: str(req.query.service),
      environment: str(req.query.environment),
      open: str(req.query.open),
    };
    liveStream(req, res, () => listed(filters), controls);
  });

  const status = (id: string): Promise<ResponseStatus> => withDeadline(inputs.handleFor(id).query(msg.statusQuery));
  router.get('/incidents/:id', async (req, res) => {
    const s = await status(String(req.params.id)).catch(() => undefined);
    if (!s) return void (await page(res, 'Not found', html`<p>No incident ${String(req.params.id)}.</p>`, {}, 404));
    const roles = current(res).principal.roles;
    const can = {
      decide: allowed(ROUTES.decide, roles),
      optOut: allowed(ROUTES.optOut, roles),
      optIn: allowed(ROUTES.optIn, roles),
      stop: allowed(ROUTES.cancel, roles),
    };
    await page(
      res,
      `Incident ${s.incidentId}`,
      html`<p><a href="/console/incidents/${s.incidentId}/review">Review the audit trail (and verify it)</a></p>
        <section data-live="/console/live/incidents/${s.incidentId}" aria-live="polite">${incidentLive(s)}</section>
        ${incidentControls(s, can, current(res).csrf)}`,
      { flash: str(req.query.done) },
    );
  });
  router.get('/live/incidents/:id', (req, res) =>
    liveStream(req, res, async () => incidentLive(await status(String(req.params.id))), controls),
  );
  router.post(
    '/incidents/:id/approvals/:approvalId',
    form,
    post(ROUTES.decide, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const id = String(req.params.id);
      const approvalId = String(req.params.approvalId);
      const decision = body.decision === 'approve' ? 'approve' : 'reject';
      const before = (await status(id)).approvals.find((a) => a.id === approvalId);
      const adjusted = typedInputs(
        body,
        (before?.context.adjustable ?? {}) as Record<string, InputSpec>,
        before?.inputs ?? {},
      );
      await inputs.update(inputs.handleFor(id), msg.decideUpdate, {
        approvalId,
        decision,
        reason: body.reason ?? '',
        ...(adjusted ? { inputs: adjusted } : {}),
        actor: actorFor(s.principal, 'console'),
      });
      return `${decision === 'approve' ? 'Approved' : 'Rejected'} ${approvalId}`;
    }),
  );
  router.post(
    '/incidents/:id/opt-out',
    form,
    post(ROUTES.optOut, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const mode = ['halt-now', 'finish-current-step', 'hand-over'].includes(body.mode ?? '') ? body.mode : 'halt-now';
      await inputs.update(inputs.handleFor(String(req.params.id)), msg.optOutUpdate, {
        reason: body.reason ?? '',
        scope: body.step ? { kind: 'step', stepId: body.step } : { kind: 'response' },
        mode: mode as 'halt-now',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Opted out';
    }),
  );
  router.post(
    '/incidents/:id/opt-in',
    form,
    post(ROUTES.optIn, async (req, _res, s) => {
      await inputs.update(inputs.handleFor(String(req.params.id)), msg.optInUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Opted back in';
    }),
  );
  router.post(
    '/incidents/:id/stop',
    form,
    post(ROUTES.cancel, async (req, _res, s) => {
      const handle = inputs.handleFor(String(req.params.id));
      const stop = {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      };
      await inputs.stop(handle, stop);
      return 'Emergency stop requested';
    }),
  );

  router.get('/guardrails', async (req, res) => {
    const c = await deps.guardrails.controls();
    const roles = current(res).principal.roles;
    await page(
      res,
      'Guardrails',
      html`<section data-live="/console/live/guardrails" aria-live="polite">${guardrailsLive(c)}</section>
        ${guardrailControls(c, { engage: allowed(ROUTES.engageKillSwitch, roles), release: allowed(ROUTES.releaseKillSwitch, roles) }, current(res).csrf)}
        ${controlForms(c, allowed(ROUTES.addPause, roles), current(res).csrf)}`,
      { flash: str(req.query.done) },
    );
  });
  router.get('/live/guardrails', (req, res) =>
    liveStream(req, res, async () => guardrailsLive(await deps.guardrails.controls()), controls),
  );
  router.post(
    '/guardrails/kill-switch',
    form,
    post(ROUTES.engageKillSwitch, async (req, _res, s) => {
      await deps.guardrails.update(g.engageKillSwitchUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Kill switch engaged';
    }),
  );
  router.post(
    '/guardrails/kill-switch/release',
    form,
    post(ROUTES.releaseKillSwitch, async (req, _res, s) => {
      await deps.guardrails.update(g.releaseKillSwitchUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Kill switch released';
    }),
  );

  const selector = (body: Record<string, string>) =>
    Object.fromEntries(
      (['service', 'environment', 'action'] as const).filter((k) => body[k]).map((k) => [k, body[k]!]),
    );
  router.post(
    '/guardrails/pause',
    form,
    post(ROUTES.addPause, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      await deps.guardrails.update(g.addPauseUpdate, {
        selector: selector(body),
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return `Paused ${body.service ?? ''}`;
    }),
  );
  router.post(
    '/guardrails/rule',
    form,
    post(ROUTES.addRule, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const effect = (['block', 'manual-only', 'approval'] as const).find((e) => e === body.effect) ?? 'approval';
      await deps.guardrails.update(g.addRuleUpdate, {
        selector: selector(body),
        effect,
        ...(body.tier ? { tier: body.tier } : {}),
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Rule added';
    }),
  );
  router.post(
    '/guardrails/freeze',
    form,
    post(ROUTES.addFreeze, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const scope = selector(body);
      await deps.guardrails.update(g.addFreezeUpdate, {
        ...(Object.keys(scope).length ? { selector: scope } : {}),
        start: body.start ?? '',
        end: body.end ?? '',
        mode: body.mode === 'block' ? 'block' : 'require-approval',
        tier: body.tier || 'lead',
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Freeze declared';
    }),
  );
  for (const [kind, route] of [
    ['pause', ROUTES.removePause],
    ['rule', ROUTES.removeRule],
    ['freeze', ROUTES.removeFreeze],
  ] as const)
    router.post(
      `/guardrails/${kind}/:controlId/remove`,
      form,
      post(route, async (req, _res, s) => {
        await deps.guardrails.update(g.removeControlUpdate, {
          kind,
          id: String(req.params.controlId),
          reason: (req.body as Record<string, string>).reason ?? '',
          actor: actorFor(s.principal, 'console'),
        });
        return `The ${kind} is removed`;
      }),
    );

  const auditFilters = (req: Request) => ({
    q: str(req.query.q) ?? '',
    from: str(req.query.from),
    to: str(req.query.to),
  });
  router.get('/audit', async (req, res) => {
    const f = auditFilters(req);
    const searching = Boolean(f.q || f.from || f.to);
    try {
      const result = searching
        ? await deps.audit.search({
            q: f.q || undefined,
            from: f.from,
            to: f.to,
            limit: 50,
            sort: f.q ? 'relevance' : 'newest',
          })
        : undefined;
      await page(res, 'Audit', auditPage(f, result));
    } catch (err) {
      await page(res, 'Audit', auditPage(f, undefined), { error: (err as Error).message }, 400);
    }
  });
  router.get('/audit/export', async (req, res) => {
    const f = auditFilters(req);
    await writeAuditExport(res, deps.audit, { q: f.q || undefined, from: f.from, to: f.to, sort: 'oldest' }, 'csv');
  });
  router.get('/incidents/:id/review', async (req, res) => {
    const id = String(req.params.id);
    const events = await deps.audit.incidentEvents(id).catch(() => []);
    if (!events.length) return void (await page(res, 'Not found', html`<p>No audit events for ${id}.</p>`, {}, 404));
    const verdict = await verifyIncidentTrail(deps.audit, deps.client, id);
    await page(res, `Review of ${id}`, reviewPage(events, verdict as never));
  });

  router.post('/sign-out', form, async (req, res) => {
    if (!sessions.csrfMatches(current(res), (req.body as Record<string, string>).csrf))
      return void (await page(res, 'Refused', html`<p>This form was not sent from an Interlock page.</p>`, {}, 403));
    sessions.end(res);
    res.redirect(303, '/console/sign-in');
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    deps.log.error({ err }, 'console page failed');
    res.status(500).send(layout('Something went wrong', {}, html`<p>The page could not be shown. Try again.</p>`));
  });
  app.use('/console', router);
}

function allowed(route: RouteContract, roles: Role[]): boolean {
  return Array.isArray(route.access) && route.access.some((r) => roles.includes(r));
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Only console paths are places to come back to after signing in. */
function consolePath(value: unknown): string | undefined {
  const safe = safeReturnTo(value);
  return safe && (safe === '/console' || safe.startsWith('/console/') || safe.startsWith('/console?'))
    ? safe
    : undefined;
}

/** Posted `input.<name>` fields typed by the step's declared inputs; only values that differ. */
function typedInputs(
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
function backTo(url: string): string {
  const path = url.split('?')[0]!;
  const incident = /^\/console\/incidents\/[^/]+/.exec(path);
  if (incident) return incident[0];
  return path.startsWith('/console/guardrails') ? '/console/guardrails' : '/console';
}
