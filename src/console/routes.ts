import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import { type PrincipalDirectory } from '../api/auth/principals.js';
import type { Sessions } from '../api/auth/sessions.js';
import type { BrowserSignIn } from '../api/auth/browser-session.js';
import type { guardrailInputs } from '../api/guardrail-inputs.js';
import type { WorkflowInputs } from '../api/workflow-inputs.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { createKit, consolePath } from './kit.js';
import { incidentPages } from './incident-routes.js';
import { guardrailPages } from './guardrail-routes.js';
import { auditPages } from './audit-routes.js';
import { reviewPages } from './review-routes.js';
import type { PdfRenderer } from '../clients/pdf/chromium-pdf.js';
import { analyticsPages } from './analytics-routes.js';
import { signInPage } from './pages/other.js';

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
  /** Prints incident reviews (CHROMIUM_PATH). */
  pdf: PdfRenderer;
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
  const { sessions } = deps;
  const router = express.Router();
  const kit = createKit(deps);
  const { current, page, form } = kit;
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
  incidentPages(router, deps, kit);
  guardrailPages(router, deps, kit);
  auditPages(router, deps, kit);
  reviewPages(router, deps, kit);
  analyticsPages(router, deps, kit);

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
