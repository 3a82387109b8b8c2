import { parseAuditKeys, type AuditKeys } from '../domain/audit/seal.js';
import { z } from 'zod';
import { durationSchema } from '../domain/playbook/duration.js';
import { parseCodecKeys, type CodecKey } from '../clients/temporal/payload-codec.js';

/**
 * Configuration comes from environment variables only, validated once at start: a typo fails
 * the process immediately with the variable's name instead of misbehaving later.
 */
const shared = {
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('interlock'),
  /** One URL, or several separated by commas (every node of a cluster the client may use). */
  OPENSEARCH_URL: z
    .string()
    .default('http://127.0.0.1:9200')
    .refine((v) => v.split(',').every((u) => z.url().safeParse(u.trim()).success), {
      error: 'a URL, or several separated by commas (http://node-1:9200,http://node-2:9200)',
    }),
  AUDIT_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default('audit-events'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Temporal payload encryption keys, `id:base64key,...` (the first encrypts, all decrypt); unset: off. */
  PAYLOAD_CODEC_KEYS: z.string().optional().transform(codecKeys),
  /** Audit seal keys, `id:base64key,...` (the first seals, all verify); unset: events are not sealed. */
  AUDIT_MAC_KEYS: z.string().optional().transform(auditKeys),
  /** The one control workflow holding the kill switch, pauses, rules and freezes. */
  GUARDRAILS_WORKFLOW_ID: z.string().min(1).default('interlock-guardrails'),
  /** Who people are (tokens, roles, tiers, email, Slack id): the gateway authenticates, the worker finds contacts. */
  PRINCIPALS_FILE: z.string().min(1).default('config/principals.dev.yaml'),
  ...connectionEnv(),
  ...slackEnv(),
  ...tracingEnv(),
};

/**
 * OpenTelemetry tracing, by the standard variables (so an operator's usual settings work): on when
 * an OTLP endpoint is set, off otherwise. Spans go out as OTLP/HTTP with JSON bodies, so a
 * protocol other than http/json is refused here rather than silently ignored.
 */
function tracingEnv() {
  const endpoint = z.url({
    protocol: /^https?$/,
    error: 'an http:// or https:// URL (OTLP/HTTP, e.g. http://collector:4318)',
  });
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint.optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: z
      .literal('http/json', {
        error:
          'only http/json is supported (Interlock sends OTLP/HTTP with JSON bodies; grpc and http/protobuf are not installed)',
      })
      .optional(),
    OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  };
}

/** The Slack app (bot token: the worker posts, the gateway opens modals; signing secret: the gateway). */
function slackEnv() {
  return {
    SLACK_BOT_TOKEN: z.string().min(1).optional(),
    SLACK_BOT_TOKEN_FILE: z.string().min(1).optional(),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_SIGNING_SECRET_FILE: z.string().min(1).optional(),
    /** The Web API base (default https://slack.com/api/); a proxy, or a local stand-in in tests. */
    SLACK_API_URL: z.url().optional(),
  };
}

/**
 * How to reach Temporal and OpenSearch in production (TLS, mTLS, API keys, basic auth). Which
 * combinations make sense, and the files they name, are checked where the connection options
 * are built (src/clients/temporal/connection.ts, src/clients/opensearch/connection.ts).
 */
function connectionEnv() {
  const file = z.string().min(1).optional();
  return {
    /** TLS to Temporal; implied by a CA, a client certificate or an API key. */
    TEMPORAL_TLS: z.stringbool().optional(),
    TEMPORAL_TLS_CA_FILE: file,
    TEMPORAL_TLS_CERT_FILE: file,
    TEMPORAL_TLS_KEY_FILE: file,
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_API_KEY_FILE: file,
    OPENSEARCH_USERNAME: z.string().min(1).optional(),
    OPENSEARCH_PASSWORD: z.string().min(1).optional(),
    OPENSEARCH_PASSWORD_FILE: file,
    OPENSEARCH_CA_FILE: file,
  };
}

export const workerEnvSchema = z.object({
  ...shared,
  PLAYBOOKS_DIR: z.string().min(1).default('playbooks'),
  POLICY_FILE: z.string().min(1).default('config/policy.yaml'),
  GUARDRAILS_FILE: z.string().min(1).default('config/guardrails.yaml'),
  /** The kubeconfig `k8s` steps use; unset: the pod's service account when in a cluster, else none. */
  KUBECONFIG: z.string().min(1).optional(),
  /** The folder `script` steps run runbooks from; unset: script steps fail saying so. */
  RUNBOOKS_DIR: z.string().min(1).optional(),
  /** One file per secret (Kubernetes/Docker secrets); unset: secrets come from INTERLOCK_SECRET_<NAME>. */
  SECRETS_DIR: z.string().min(1).optional(),
  /** The Slack channel (C0123 or #name) requests and outcomes are posted to. */
  SLACK_CHANNEL: z.string().min(1).optional(),
  /** Also send each request as a direct message to the on-call approvers. */
  SLACK_DIRECT_MESSAGES: z.stringbool().default(true),
  /** Approval requests, reminders and escalations are POSTed here; unset, they go to the log. */
  NOTIFY_WEBHOOK_URL: z.url().optional(),
  /** Where people reach the gateway, the web console and the Temporal UI: links in notifications. */
  PUBLIC_GATEWAY_URL: z.url().optional(),
  PUBLIC_CONSOLE_URL: z.url().optional(),
  PUBLIC_TEMPORAL_UI_URL: z.url().optional(),
  /** Who is on call for each approver tier (a rotation file); unset: notifications name tiers only. */
  ONCALL_FILE: z.string().min(1).optional(),
  /** PagerDuty Events API v2 integration key (or a file holding it): approval requests page through it. */
  PAGERDUTY_ROUTING_KEY: z.string().min(1).optional(),
  PAGERDUTY_ROUTING_KEY_FILE: z.string().min(1).optional(),
  PAGERDUTY_EVENTS_URL: z.url().default('https://events.pagerduty.com'),
  /** PagerDuty REST API key (or a file holding it): tiers whose rotation names PagerDuty schedules. */
  PAGERDUTY_API_KEY: z.string().min(1).optional(),
  PAGERDUTY_API_KEY_FILE: z.string().min(1).optional(),
  PAGERDUTY_API_URL: z.url().default('https://api.pagerduty.com'),
  /** The Slack workspace (https://acme.slack.com): pages link the request's Slack message. */
  SLACK_WORKSPACE_URL: z.url().optional(),
  /** The gateway public keys decisions must be signed with (`npm run keys`); unset: none verify. */
  DECISION_KEYS_FILE: z.string().min(1).optional(),
  /** How old a signed decision may be when it arrives. */
  DECISION_MAX_AGE_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
  /** Let unsigned Temporal signals and updates proceed (only where Temporal enforces its own authorization). */
  TRUST_TEMPORAL_IDENTITY: z.stringbool().default(false),
  /** Who may release the kill switch or remove a pause, rule or freeze (besides, when allowed, its engager). */
  GUARDRAILS_LIFT_ROLES: z
    .string()
    .default('admin')
    .transform((v) =>
      v
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  GUARDRAILS_ENGAGER_MAY_LIFT: z.stringbool().default(true),
  /** Replicas of each audit index (0 suits a single node; 1 or more a cluster). */
  AUDIT_INDEX_REPLICAS: z.coerce.number().int().min(0).max(10).default(0),
  /** Monthly audit indices older than this many months are deleted; unset: kept forever. */
  AUDIT_RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).optional(),
  AUDIT_RETENTION_SCHEDULE_ID: z.string().min(1).default('interlock-audit-retention'),
  /** When retention runs (cron, UTC). */
  AUDIT_RETENTION_CRON: z.string().min(1).default('17 3 * * *'),
  /** The worker's own HTTP endpoint (/metrics, /readyz; 0: off): configuration problems and every metric show there. */
  WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /**
   * Where the Temporal SDK's own Prometheus exporter binds (host:port); /metrics above serves its
   * text too. Unset: a free loopback port. Set it only to scrape the SDK directly.
   */
  WORKER_SDK_METRICS_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: 'host:port, e.g. 127.0.0.1:9465' })
    .optional(),
  /** How often the pending-approval gauges are read from Temporal's visibility store (0: off). */
  PENDING_APPROVALS_POLL_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  /**
   * How many responses the worker keeps in memory between their tasks (the rest are replayed from
   * history when they next act). Unset: sized to the heap, see src/worker/workflow-cache.ts.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(1_000_000).optional(),
  /** A workflow bundle built beforehand (bundleWorkflowCode); unset: the workflows are bundled at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /** How often the worker looks for edited playbooks, policy and guardrails files. */
  CONFIG_CHECK_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  /** Approval mail: the SMTP server (smtp://host:port, smtps://user:pass@host:port); unset: no email. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'an smtp:// or smtps:// URL' }).optional(),
  EMAIL_FROM: z.string().min(3).default('Interlock <interlock@localhost>'),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export const gatewayEnvSchema = z
  .object({
    ...shared,
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** OIDC bearer JWTs are accepted when an issuer is configured. */
    OIDC_ISSUER: z.string().min(1).optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_JWKS_URL: z.url().optional(),
    OIDC_JWKS_FILE: z.string().min(1).optional(),
    OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
    OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
    OIDC_TEAMS_CLAIM: z.string().min(1).default('teams'),
    /** Browser sign-in (code flow + PKCE) with OIDC_ISSUER: on when the client id and session secret are set too. */
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET_FILE: z.string().min(1).optional(),
    OIDC_SIGNIN_SCOPES: z.string().min(1).default('openid profile email'),
    SESSION_SECRET: z.string().min(1).optional(),
    SESSION_SECRET_FILE: z.string().min(1).optional(),
    /** The web console accepts an API token on its sign-in page (development; production signs in with OIDC). */
    CONSOLE_TOKEN_SIGNIN: z.stringbool().default(false),
    /** Where browsers reach this gateway (the sign-in redirect URI is built from it). */
    PUBLIC_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The gateway's Ed25519 private key (PEM) signing every decision it forwards, and its id. */
    DECISION_SIGNING_KEY_FILE: z.string().min(1).optional(),
    DECISION_SIGNING_KEY_ID: z.string().min(1).max(100).default('gateway'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
    /** After a response ended, how long until an alert for its incident may open a new one by itself. */
    REFIRE_QUIET_PERIOD: durationSchema.prefault('15m'),
    /** Responses an incident key may get from alerts per hour; past that a responder restarts it (0: always). */
    REFIRE_MAX_PER_HOUR: z.coerce.number().int().min(0).max(1000).default(3),
    /** Origins (the Temporal UI's) allowed to call the payload codec endpoints from a browser. */
    CODEC_CORS_ORIGINS: z.string().optional().transform(origins),
    /** Chromium (Debian's chromium package: /usr/bin/chromium) prints incident reviews as PDF; unset: PDFs answer 503. */
    CHROMIUM_PATH: z.string().min(1).optional(),
    /** Approver tiers whose email decisions also need the person signed in (bearer), comma separated. */
    EMAIL_SIGNIN_TIERS: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
  })
  .superRefine((env, ctx) => {
    if (!env.OIDC_ISSUER) return;
    // Browser sign-in alone needs no bearer settings; bearer JWTs are on once an audience is set.
    if (env.OIDC_CLIENT_ID && !env.OIDC_AUDIENCE && !env.OIDC_JWKS_URL && !env.OIDC_JWKS_FILE) return;
    if (!env.OIDC_AUDIENCE)
      ctx.addIssue({ code: 'custom', path: ['OIDC_AUDIENCE'], message: 'required when OIDC_ISSUER is set' });
    if (!env.OIDC_JWKS_URL === !env.OIDC_JWKS_FILE)
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_JWKS_URL'],
        message: 'set exactly one of OIDC_JWKS_URL or OIDC_JWKS_FILE with OIDC_ISSUER',
      });
  });
export type GatewayConfig = z.infer<typeof gatewayEnvSchema>;

function auditKeys(text: string | undefined, ctx: z.RefinementCtx<string | undefined>): AuditKeys | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseAuditKeys(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}

function codecKeys(text: string | undefined, ctx: z.RefinementCtx<string | undefined>): CodecKey[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseCodecKeys(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}

function origins(text: string | undefined, ctx: z.RefinementCtx<string | undefined>): string[] {
  const list = (text ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (parsed?.origin !== origin)
      ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin (scheme://host[:port], no path)` });
  }
  return list;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  return parsed.data;
}

/** For entry points: a bad configuration is the operator's to fix, so print what, not a stack. */
export function loadConfigOrExit<T extends z.ZodType>(schema: T): z.infer<T> {
  return orExit(() => loadConfig(schema));
}

/** Run a loader of configuration (files included): on a ConfigError, print its message and exit 1. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
