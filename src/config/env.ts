import { z } from 'zod';

/**
 * Configuration comes from environment variables only, validated once at start: a typo fails
 * the process immediately with the variable's name instead of misbehaving later.
 */
const shared = {
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('interlock'),
  OPENSEARCH_URL: z.url().default('http://127.0.0.1:9200'),
  AUDIT_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default('audit-events'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The one control workflow holding the kill switch, pauses, rules and freezes. */
  GUARDRAILS_WORKFLOW_ID: z.string().min(1).default('interlock-guardrails'),
};

export const workerEnvSchema = z.object({
  ...shared,
  PLAYBOOKS_DIR: z.string().min(1).default('playbooks'),
  POLICY_FILE: z.string().min(1).default('config/policy.yaml'),
  GUARDRAILS_FILE: z.string().min(1).default('config/guardrails.yaml'),
  /** Approval requests, reminders and escalations are POSTed here; unset, they go to the log. */
  NOTIFY_WEBHOOK_URL: z.url().optional(),
  /** Where people reach the gateway, the web console and the Temporal UI: links in notifications. */
  PUBLIC_GATEWAY_URL: z.url().optional(),
  PUBLIC_CONSOLE_URL: z.url().optional(),
  PUBLIC_TEMPORAL_UI_URL: z.url().optional(),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export const gatewayEnvSchema = z
  .object({
    ...shared,
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    PRINCIPALS_FILE: z.string().min(1).default('config/principals.dev.yaml'),
    /** OIDC bearer JWTs are accepted when an issuer is configured. */
    OIDC_ISSUER: z.string().min(1).optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_JWKS_URL: z.url().optional(),
    OIDC_JWKS_FILE: z.string().min(1).optional(),
    OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
    OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  })
  .superRefine((env, ctx) => {
    if (!env.OIDC_ISSUER) return;
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
