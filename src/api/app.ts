import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { AuditStore } from '../clients/opensearch/audit-store.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { JwtVerifier } from './auth/jwt.js';
import { authenticate, authenticateAlertSource, requireRole } from './auth/middleware.js';
import type { PrincipalDirectory } from './auth/principals.js';
import { errorHandler, HttpError } from './errors.js';
import { createMetrics } from './metrics.js';
import { tracingMiddleware } from './tracing.js';
import { createMount } from './mount.js';
import { alertRoutes } from './routes/alerts.js';
import { createIncidentIntake } from '../clients/temporal/incident-intake.js';
import { DEFAULT_REFIRE_POLICY, type RefirePolicy } from '../domain/incident/refire-policy.js';
import { auditRoutes } from './routes/audit.js';
import { analyticsRoutes } from './routes/analytics.js';
import { incidentRoutes } from './routes/incidents.js';
import { guardrailRoutes } from './routes/guardrails.js';
import { operationsRoutes } from './routes/operations.js';
import { codecCors, codecRoutes } from './routes/codec.js';
import { refusedChangeSignal } from '../contracts/guardrails.js';
import { refusedInputSignal } from '../contracts/incident-response.js';
import { INCIDENT_ID_PATTERN, workflowIdFor } from '../domain/incident/incident-id.js';
import type { DecisionSigner } from './auth/decision-signer.js';
import type { Role } from '../domain/actor/actor.js';
import { slackInteractionRoutes, type SlackGatewayOptions } from './routes/slack-interactions.js';
import { workflowInputs } from './workflow-inputs.js';
import { consoleRoutes } from '../console/routes.js';
import type { Sessions } from './auth/sessions.js';
import { slackCommandRoutes } from './routes/slack-commands.js';
import { slackRequestCheck } from './slack/signature.js';
import { guardrailInputs } from './guardrail-inputs.js';
import { ROUTES } from './contract.js';
import type { EmailTokenStore } from '../clients/opensearch/email-tokens.js';
import { emailDecisionRoutes } from './routes/email-decisions.js';
import type { BrowserSignIn } from './auth/browser-session.js';
import { createPdfRenderer, type PdfRenderer } from '../clients/pdf/chromium-pdf.js';
import { reviewRoutes } from './routes/review.js';

export interface GatewayDependencies {
  client: Client;
  taskQueue: string;
  principals: PrincipalDirectory;
  jwt?: JwtVerifier;
  audit: AuditStore;
  opensearchPing: () => Promise<unknown>;
  log: Logger;
  /** Requests per principal per minute; alert sources get ten times as many. */
  rateLimitPerMinute?: number;
  /** How far a signed delivery's timestamp may be from now. */
  signatureToleranceSeconds?: number;
  version?: string;
  /** The control workflow holding the guardrails. */
  guardrailsWorkflowId: string;
  /** When an alert for an ended incident may open a new response by itself. */
  refirePolicy?: RefirePolicy;
  /**
   * Signs every decision forwarded to a workflow (who, as authenticated here). Without it the
   * workflows refuse every input that lets automation proceed (see README, Security model).
   */
  signer?: DecisionSigner;
  /** The payload codec the Temporal client uses (unset: off), served to the Temporal UI. */
  payloadCodec?: PayloadCodec;
  /** Browser origins (the Temporal UI's) allowed to call the codec endpoints. */
  codecCorsOrigins?: string[];
  /** Slack interactivity (buttons, modals), when a Slack app is configured. */
  slack?: SlackGatewayOptions;
  /** Decisions from emailed links (unset: those routes are off). */
  email?: { tokens: EmailTokenStore; signInTiers: string[] };
  /** Browser sign-in with the OpenID Provider (unset: /v1/auth/* answer 404). */
  signIn?: BrowserSignIn;
  /** The web console (/console): browser sessions, and whether an API token may start one. */
  console?: { sessions: Sessions; tokenSignIn: boolean };
  /** A span per request (OpenTelemetry); the client must carry the tracing interceptor too. */
  tracing?: boolean;
  /** Prints incident reviews as PDF (CHROMIUM_PATH); unset: PDF requests answer 503. */
  pdf?: PdfRenderer;
}

/**
 * The gateway: authenticate, validate, translate into a workflow start, update, signal, query
 * or cancel, and map errors to HTTP. No incident rules live here; the workflow owns them.
 */
export function createApp(deps: GatewayDependencies) {
  const app = express();
  const metrics = createMetrics();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // First: the request's span is the parent of everything it does (Temporal calls included).
  if (deps.tracing) app.use(tracingMiddleware());
  app.use(helmet());
  app.use(metrics.middleware);
  // Keep the exact bytes: signed alert deliveries are verified over them, not over re-serialized JSON.
  app.use(
    express.json({
      limit: '1mb',
      strict: true,
      verify: (req, _res, buf) => void ((req as express.Request).rawBody = buf),
    }),
  );

  // Before authentication: a browser's CORS preflight carries no token.
  app.use('/v1/codec', codecCors(deps.codecCorsOrigins ?? []));

  const authenticator = createAuthenticator(deps.principals, deps.jwt);
  const perMinute = deps.rateLimitPerMinute ?? 600;
  const limit = rateLimit({
    windowMs: 60_000,
    // Per principal, after authentication: one noisy caller cannot starve the others.
    limit: (req) => (req.actor?.roles.includes('alert-source') ? perMinute * 10 : perMinute),
    keyGenerator: (req) => `principal:${req.actor?.id ?? 'anonymous'}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next, options) =>
      next(new HttpError(options.statusCode, 'rate_limited', `more than ${perMinute} requests a minute; slow down`)),
  });
  /** A person refused at the door of a response (their role) is recorded in its trail too. */
  const reportRefusedInput = (req: express.Request) => {
    const id = req.params.id;
    if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id)) return;
    const input = `${req.method} ${req.route?.path ?? req.path}`;
    void deps.client.workflow
      .getHandle(workflowIdFor(id))
      .signal(refusedInputSignal, {
        actor: { id: req.actor!.id, name: req.actor!.name, channel: req.actor!.channel },
        input,
        reason: `the role(s) ${req.actor!.roles.join(', ') || 'none'} may not do this`,
      })
      .catch((err: unknown) => deps.log.warn({ err, input }, 'could not record a refused input'));
  };

  const mount = createMount(app, {
    bearer: [authenticate(authenticator)],
    alertSource: [
      authenticateAlertSource(authenticator, deps.principals, {
        toleranceSeconds: deps.signatureToleranceSeconds ?? 300,
      }),
    ],
    role: (roles, route) =>
      requireRole(
        roles as Role[],
        route.startsWith('/v1/incidents/:id/')
          ? (req) => reportRefusedInput(req)
          : route.startsWith('/v1/guardrails')
            ? (req) =>
                // A refused guardrail change is itself audited, in the control workflow's trail.
                void deps.client.workflow
                  .getHandle(deps.guardrailsWorkflowId)
                  .signal(refusedChangeSignal, {
                    actor: { id: req.actor!.id, name: req.actor!.name, channel: req.actor!.channel },
                    attempted: `${req.method} ${req.path}`,
                  })
                  .catch((err: unknown) => deps.log.warn({ err }, 'could not record a refused guardrail change'))
            : undefined,
      ),
    limit,
  });

  operationsRoutes(mount, {
    client: deps.client,
    opensearchPing: deps.opensearchPing,
    metrics,
    version: deps.version ?? '0.1.0',
  });
  alertRoutes(
    mount,
    createIncidentIntake({
      client: deps.client,
      taskQueue: deps.taskQueue,
      audit: deps.audit,
      policy: deps.refirePolicy ?? DEFAULT_REFIRE_POLICY,
    }),
    metrics,
  );
  incidentRoutes(mount, deps.client, metrics, deps.signer, deps.log);
  auditRoutes(mount, deps.audit, deps.client);
  const pdf = deps.pdf ?? createPdfRenderer(undefined);
  reviewRoutes(mount, deps.audit, deps.client, pdf);
  analyticsRoutes(mount, deps.audit.analytics);
  guardrailRoutes(mount, deps.client, deps.guardrailsWorkflowId, deps.signer, deps.log);
  codecRoutes(mount, deps.payloadCodec);
  const inputs = workflowInputs(deps.client, deps.signer, deps.log);
  if (deps.signIn) deps.signIn.routes(app, limit);
  else
    for (const route of [ROUTES.signIn, ROUTES.signInCallback, ROUTES.signOut])
      mount(route, notConfigured('sign-in is not configured on this gateway (OIDC_CLIENT_ID, SESSION_SECRET)'));
  if (deps.slack) {
    const check = slackRequestCheck(deps.slack.signingSecret, deps.slack.toleranceSeconds);
    const slack = { slack: deps.slack, principals: deps.principals, inputs, check, log: deps.log };
    slackInteractionRoutes(app, slack);
    slackCommandRoutes(app, {
      ...slack,
      guardrails: guardrailInputs(deps.client, deps.guardrailsWorkflowId, deps.signer, deps.log),
    });
  } else
    for (const route of [ROUTES.slackInteractions, ROUTES.slackCommands])
      mount(route, notConfigured('Slack is not configured on this gateway (SLACK_SIGNING_SECRET)'));
  if (deps.email)
    emailDecisionRoutes(
      app,
      {
        inputs,
        tokens: deps.email.tokens,
        principals: deps.principals,
        authenticator,
        signIn: deps.signIn,
        signInTiers: deps.email.signInTiers,
        audit: deps.audit,
        log: deps.log,
      },
      limit,
    );
  else
    for (const route of [ROUTES.emailDecisionPage, ROUTES.emailDecide])
      mount(route, notConfigured('email is not configured on this gateway (SMTP_URL on the worker)'));

  if (deps.console)
    consoleRoutes(
      app,
      {
        ...deps.console,
        signIn: deps.signIn,
        principals: deps.principals,
        client: deps.client,
        inputs,
        guardrails: guardrailInputs(deps.client, deps.guardrailsWorkflowId, deps.signer, deps.log),
        audit: deps.audit,
        pdf,
        log: deps.log,
      },
      limit,
    );
  else
    app.use('/console', (_req, _res, next) =>
      next(new HttpError(404, 'not_configured', 'the console is not configured on this gateway (SESSION_SECRET)')),
    );
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log));
  return app;
}

/** An integration this gateway was not configured for answers so, instead of "no route". */
function notConfigured(message: string): express.RequestHandler {
  return (_req, _res, next) => next(new HttpError(404, 'not_configured', message));
}
