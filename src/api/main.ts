import { Client, Connection } from '@temporalio/client';
import { createSlackClient, slackSettings } from '../clients/slack/connection.js';
import { createAuditStore } from '../clients/opensearch/audit-store.js';
import { createOpenSearchClient } from '../clients/opensearch/connection.js';
import { temporalConnectionOptions } from '../clients/temporal/connection.js';
import { ConfigError, gatewayEnvSchema, loadConfigOrExit, orExit } from '../config/env.js';
import { loadDecisionSigner } from './auth/decision-signer.js';
import { createLogger } from '../config/logger.js';
import { codecOptions, createEncryptionCodec } from '../clients/temporal/payload-codec.js';
import { createApp } from './app.js';
import { createJwtVerifier } from './auth/jwt.js';
import { createBrowserSignIn } from './auth/browser-session.js';
import { sessionSecretSetting, signInSettings } from './auth/sign-in-settings.js';
import { createSessions } from './auth/sessions.js';
import { PrincipalDirectory } from './auth/principals.js';
import { createEmailTokenStore } from '../clients/opensearch/email-tokens.js';
import { startTracing, tracingClientInterceptors } from '../clients/telemetry/tracing.js';
import { chromiumPathSetting, createPdfRenderer } from '../clients/pdf/chromium-pdf.js';

const config = loadConfigOrExit(gatewayEnvSchema);
const log = createLogger({ level: config.LOG_LEVEL, name: 'gateway' });
// Before the client exists: its interceptor and the request spans use this provider.
const tracing = startTracing(config, 'interlock-gateway');
log.info({ traces: tracing?.url ?? 'off (OTEL_EXPORTER_OTLP_ENDPOINT unset)' }, 'tracing');
const payloadCodec = config.PAYLOAD_CODEC_KEYS && createEncryptionCodec(config.PAYLOAD_CODEC_KEYS);

// Files first: a broken principals file stops the gateway before it connects to anything.
const principals = orExit(() => PrincipalDirectory.fromFile(config.PRINCIPALS_FILE));
const slack = orExit(() => slackSettings(config));
if (slack.signingSecret && !slack.botToken)
  orExit(() => {
    throw new ConfigError('SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET (the gateway opens modals and answers)');
  });
const claimNames = {
  rolesClaim: config.OIDC_ROLES_CLAIM,
  groupsClaim: config.OIDC_GROUPS_CLAIM,
  teamsClaim: config.OIDC_TEAMS_CLAIM,
};
const signIn = orExit(() => signInSettings(config, claimNames));
const browserSignIn = signIn && createBrowserSignIn(signIn, log);
// The console needs sessions: those of OIDC sign-in, or (token sign-in only) the session secret alone.
const sessionSecret = orExit(() => sessionSecretSetting(config));
const consoleSessions =
  browserSignIn?.sessions ??
  (sessionSecret ? createSessions(sessionSecret, (config.PUBLIC_GATEWAY_URL ?? '').startsWith('https:')) : undefined);
const chromiumPath = orExit(() => chromiumPathSetting(config.CHROMIUM_PATH));
const signer = config.DECISION_SIGNING_KEY_FILE
  ? orExit(() => loadDecisionSigner(config.DECISION_SIGNING_KEY_FILE!, config.DECISION_SIGNING_KEY_ID))
  : undefined;

// One Temporal client per process: it multiplexes every request over one connection.
// TLS, mTLS or an API key as configured; a half-configured setup stops here, naming the variables.
const connection = await Connection.connect(orExit(() => temporalConnectionOptions(config)));
const client = new Client({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  ...codecOptions(payloadCodec),
  ...tracingClientInterceptors(tracing),
});
const opensearch = orExit(() => createOpenSearchClient(config));
const audit = createAuditStore(opensearch, config.AUDIT_INDEX_PREFIX, { macKeys: config.AUDIT_MAC_KEYS });
const app = createApp({
  slack:
    slack.signingSecret && slack.botToken
      ? { signingSecret: slack.signingSecret, client: createSlackClient(slack.botToken, slack.apiUrl) }
      : undefined,
  client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  principals,
  // Bearer JWTs need an audience; with browser sign-in alone the issuer may be set without one.
  jwt:
    config.OIDC_ISSUER && config.OIDC_AUDIENCE
      ? createJwtVerifier({
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE,
          jwksUrl: config.OIDC_JWKS_URL,
          jwksFile: config.OIDC_JWKS_FILE,
          ...claimNames,
        })
      : undefined,
  signIn: browserSignIn,
  console: consoleSessions && { sessions: consoleSessions, tokenSignIn: config.CONSOLE_TOKEN_SIGNIN },
  audit,
  opensearchPing: () => opensearch.ping(),
  log,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  signatureToleranceSeconds: config.SIGNATURE_TOLERANCE_SECONDS,
  guardrailsWorkflowId: config.GUARDRAILS_WORKFLOW_ID,
  signer,
  refirePolicy: { quietPeriodMs: config.REFIRE_QUIET_PERIOD, maxAutomatedPerHour: config.REFIRE_MAX_PER_HOUR },
  payloadCodec,
  codecCorsOrigins: config.CODEC_CORS_ORIGINS,
  // Always on: a link only exists if a worker mailed it, and answering "unknown link" costs nothing.
  email: {
    tokens: createEmailTokenStore(opensearch, config.AUDIT_INDEX_PREFIX),
    signInTiers: config.EMAIL_SIGNIN_TIERS,
  },
  tracing: Boolean(tracing),
  pdf: createPdfRenderer(chromiumPath),
});

const server = app.listen(config.PORT, config.HOST, () => {
  log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'gateway listening');
  if (!signer)
    log.warn('DECISION_SIGNING_KEY_FILE is not set: approvals, opt-ins and lifts will be refused by the workers');
});
// Slow or stalled clients must not hold sockets forever.
server.requestTimeout = 30_000;
server.headersTimeout = 10_000;
const shutdown = () => {
  log.info('shutting down: finishing in-flight requests');
  // Stop accepting, let in-flight requests finish, then drop idle keep-alive sockets.
  server.close(
    () =>
      void connection
        .close()
        .then(() => tracing?.shutdown())
        .then(() => process.exit(0)),
  );
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 20_000).unref();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
