import type { Rotation } from '../../src/domain/oncall/rotation.js';
import { randomBytes } from 'node:crypto';
import { createSessions } from '../../src/api/auth/sessions.js';
import { rotationLookup, type OnCallLookup } from '../../src/clients/oncall/lookup.js';
import type { NotificationChannel } from '../../src/clients/notify/channel.js';
import type { FanOutOptions } from '../../src/clients/notify/fan-out.js';
import { slackChannel } from '../../src/clients/notify/slack/channel.js';
import { createSlackClient } from '../../src/clients/slack/connection.js';
import type { AuditKeys } from '../../src/domain/audit/seal.js';
import { generateKeyPairSync } from 'node:crypto';
import { createDecisionSigner } from '../../src/api/auth/decision-signer.js';
import type { Trust } from '../../src/domain/trust/rules.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type MetricsExporterConfig, type Worker } from '@temporalio/worker';
import { tracingClientInterceptors, type Tracing } from '../../src/clients/telemetry/tracing.js';
import pino, { type Logger as PinoLogger } from 'pino';
import type { Logger as SdkLogger, PayloadCodec } from '@temporalio/common';
import type { SecretProvider } from '../../src/clients/secrets/provider.js';
import { codecOptions } from '../../src/clients/temporal/payload-codec.js';
import type { Notification } from '../../src/clients/notify/notifier.js';
import { createGuardrailsClient, type GuardrailsClient } from '../../src/clients/temporal/guardrails-client.js';
import type { Rule } from '../../src/domain/guardrails/controls.js';
import type { RefirePolicy } from '../../src/domain/incident/refire-policy.js';
import { parsePolicy, PlaybookCatalog } from '../../src/clients/config/catalog.js';
import { createApp } from '../../src/api/app.js';
import type { JwtVerifier } from '../../src/api/auth/jwt.js';
import { hashToken, PrincipalDirectory } from '../../src/api/auth/principals.js';
import { createAuditStore } from '../../src/clients/opensearch/audit-store.js';
import { createAuditRetention } from '../../src/clients/opensearch/audit-retention.js';
import { createIncidentWorker } from '../../src/worker/create-worker.js';
import { createEmailChannel } from '../../src/clients/notify/email/email-channel.js';
import { createEmailTokenStore } from '../../src/clients/opensearch/email-tokens.js';
import { createBrowserSignIn } from '../../src/api/auth/browser-session.js';
import { freePort } from './net.js';
import type { ActionSettings } from '../../src/activities/actions/settings.js';
import { createPdfRenderer } from '../../src/clients/pdf/chromium-pdf.js';

/** Test people. Tokens are random per run; only their hashes go into the principals file. */
export const PEOPLE = {
  alertmanager: { id: 'alertmanager', name: 'Alertmanager', roles: ['alert-source'], groups: [] },
  alice: { id: 'alice', name: 'Alice Responder', roles: ['responder'], groups: [] },
  ada: { id: 'ada', name: 'Ada Admin', roles: ['admin'], groups: [] },
  bob: {
    id: 'bob',
    name: 'Bob Approver',
    roles: ['responder', 'approver'],
    groups: ['tier1'],
    teams: ['payments'],
    slack: 'U0BOB',
    email: 'bob@example.test',
  },
  dana: {
    id: 'dana',
    name: 'Dana Dba',
    roles: ['responder', 'approver'],
    groups: ['sme:postgres'],
    slack: 'U0DANA',
    email: 'dana@example.test',
  },
  erin: {
    id: 'erin',
    name: 'Erin Approver',
    roles: ['approver'],
    groups: ['tier1'],
    teams: ['search'],
    slack: 'U0ERIN',
    email: 'erin@example.test',
  },
  lee: {
    id: 'lee',
    name: 'Lee Lead',
    roles: ['responder', 'approver'],
    groups: ['lead'],
    teams: ['*'],
    slack: 'U0LEE',
    email: 'lee@example.test',
  },
  audrey: { id: 'audrey', name: 'Audrey Auditor', roles: ['auditor'], groups: [] },
} as const;
export type Person = keyof typeof PEOPLE;

/** PEOPLE as channels reach them (the worker reads these from the principals file). */
const harnessContacts = () =>
  Object.values(PEOPLE).map((p) => ({
    id: p.id,
    name: p.name,
    email: 'email' in p ? p.email : undefined,
    slack: 'slack' in p ? p.slack : undefined,
  }));

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * One in-process Interlock (used by each test file and by the benchmarks): a worker on its own task queue (so files running in parallel never
 * steal each other's tasks) and a gateway on a free port, against the real test stack.
 */
let runtimeInstalled = false;

export interface StackAddresses {
  temporalAddress: string;
  /**
   * Connections to use instead of connecting to temporalAddress (a time-skipping test
   * environment's, whose client skips time while a result is awaited). Left open by stop().
   * `visibility: false` for a server that cannot list workflows (the time-skipping test
   * server): a guardrail broadcast then reaches this worker's own watch, and no responses.
   */
  temporal?: { client: Client; nativeConnection: NativeConnection; visibility: boolean };
  opensearchUrl: string;
  auditIndexPrefix: string;
  /** Replicas of each audit index, as the stack's worker would install them (default 0: one node). */
  auditIndexReplicas?: number;
  /** Omit to bundle the workflows when the worker starts (slower). */
  workflowBundlePath?: string;
}

export interface InterlockOptions {
  playbooks: Record<string, string>;
  policy?: string;
  /** Extra principals (e.g. signing alert sources) and the environment holding their secrets. */
  extraPrincipals?: Array<Record<string, unknown>>;
  env?: NodeJS.ProcessEnv;
  jwt?: JwtVerifier;
  rateLimitPerMinute?: number;
  standingRules?: Array<Omit<Rule, 'source'>>;
  maxConcurrentActivities?: number;
  /** The gateway's re-fire policy for ended incidents (default: the production default). */
  refirePolicy?: RefirePolicy;
  /** A channel that is down for these notifications: the send throws (and nothing is recorded as sent). */
  failNotification?: (n: Notification) => boolean;
  /** Where `{{secrets.NAME}}` is resolved from (unset: steps that use a secret fail). */
  secrets?: SecretProvider;
  /** Encrypt payloads: the worker and the client (and the gateway's codec endpoints) use it. */
  payloadCodec?: PayloadCodec;
  codecCorsOrigins?: string[];
  /** The gateway's logger (default: silent). */
  gatewayLog?: PinoLogger;
  /** How old a signed decision may be (a time-skipping server's clock runs ahead of the gateway's). */
  decisionMaxAgeMs?: number;
  /** Trust Temporal's own identities: unsigned inputs may let automation proceed. */
  trustTemporalIdentity?: boolean;
  /** Seal audit events as they are stored (AUDIT_MAC_KEYS). */
  auditMacKeys?: AuditKeys;
  /** The on-call rotation notifications are routed by (ONCALL_FILE). */
  onCall?: Rotation;
  /** Slack, served by a local stand-in (test/support/fake-slack.ts): the worker posts, the gateway takes clicks. */
  slack?: { apiUrl: string; token: string; signingSecret: string; channel?: string };
  /** Who is on call, instead of the rotation alone (e.g. a lookup over PagerDuty and iCal sources). */
  onCallLookup?: OnCallLookup;
  /** Channels beside the test notifier (PagerDuty, Slack, email), each with the fan-out's retries. */
  channels?: NotificationChannel[];
  /** Retries per channel (tests shorten the wait). */
  delivery?: FanOutOptions;
  /** Base URLs for the links in notifications. */
  links?: { gatewayUrl?: string; consoleUrl?: string; temporalUiUrl?: string };
  /** Mail approval requests through this SMTP server (the email channel, and its gateway routes). */
  email?: { smtpUrl: string; from?: string; signInTiers?: string[] };
  /**
   * Browser sign-in against this OpenID Provider (test/support/oidc-issuer.ts). The gateway's
   * public URL is its own address, so the gateway then listens on a port chosen beforehand.
   */
  signIn?: { issuer: string; clientId: string; clientSecret?: string; sessionSecret: string };
  /** Serve the web console, with token sign-in (and OIDC when `signIn` is set). */
  console?: boolean;
  /**
   * OpenTelemetry as the worker and gateway run it (src/clients/telemetry/tracing.ts): client
   * interceptors, request spans, the workflow span sink and activity interceptors.
   */
  tracing?: Tracing;
  /**
   * false: no worker in this process; the test runs its own worker processes on `taskQueue`
   * (test/chaos kills them). The gateway and the control workflow's start are as usual.
   */
  worker?: false;
  /** What action kinds read from configuration (the Kubernetes cluster, the runbooks folder). */
  actions?: ActionSettings;
  /** Chromium for the gateway's PDF reviews (CHROMIUM_PATH); unset: PDFs answer 503. */
  chromiumPath?: string;
}

/**
 * Install the SDK runtime once per process, before anything (a test environment too) creates the
 * default one. `metrics`: the SDK's Prometheus exporter, as the worker's main.ts installs it.
 */
export function installTestRuntime(logger?: SdkLogger, metrics?: MetricsExporterConfig): void {
  if (!runtimeInstalled) {
    // Worker state chatter at INFO buries test failures; warnings and errors still show.
    Runtime.install({
      logger: logger ?? new DefaultLogger('WARN'),
      ...(metrics ? { telemetryOptions: { metrics } } : {}),
    });
    runtimeInstalled = true;
  }
}

export async function startInterlock(stack: StackAddresses, options: InterlockOptions) {
  installTestRuntime();
  // The gateway signs decisions with a key of its own; the worker trusts its public half.
  const signingKey = generateKeyPairSync('ed25519');
  const signer = createDecisionSigner({ keyId: 'test-gateway', privateKey: signingKey.privateKey });
  const trust: Trust = {
    keys: {
      'test-gateway': Buffer.from(signingKey.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex'),
    },
    maxAgeMs: options.decisionMaxAgeMs ?? 300_000,
    trustTemporalIdentity: options.trustTemporalIdentity ?? false,
    lift: { roles: ['admin'], engager: true },
  };
  const taskQueue = `test-${randomUUID()}`;
  const playbookDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-playbooks-'));
  for (const [file, yaml] of Object.entries(options.playbooks)) fs.writeFileSync(path.join(playbookDir, file), yaml);

  const notifications: Notification[] = [];
  const tokens = Object.fromEntries(Object.keys(PEOPLE).map((p) => [p, `tok-${p}-${randomUUID()}`])) as Record<
    Person,
    string
  >;
  const principalsYaml = JSON.stringify({
    principals: [
      ...Object.entries(PEOPLE).map(([key, p]) => ({ ...p, tokenSha256: hashToken(tokens[key as Person]) })),
      ...(options.extraPrincipals ?? []),
    ],
  });

  const opensearch = new OpenSearchClient({ node: stack.opensearchUrl });
  const audit = createAuditStore(opensearch, stack.auditIndexPrefix, {
    macKeys: options.auditMacKeys,
    replicas: stack.auditIndexReplicas,
  });
  await audit.installTemplate(); // as the worker does at start (idempotent)
  const connection = stack.temporal ? undefined : await Connection.connect({ address: stack.temporalAddress });
  const client =
    stack.temporal?.client ??
    new Client({
      connection,
      namespace: 'default',
      ...codecOptions(options.payloadCodec),
      ...tracingClientInterceptors(options.tracing),
    });
  // A control workflow per harness: files running in parallel must not share one kill switch.
  const guardrailsWorkflowId = `guardrails-${taskQueue}`;
  const guardrailsClient = createGuardrailsClient(client, { workflowId: guardrailsWorkflowId, taskQueue });
  const guardrails = stack.temporal?.visibility === false ? withoutVisibility(guardrailsClient) : guardrailsClient;
  // The gateway's address is known once it listens; mails are only sent after that.
  const gateway: { url?: string } = {};
  const emailTokens = options.email ? createEmailTokenStore(opensearch, stack.auditIndexPrefix) : undefined;
  const emailChannel =
    options.email &&
    createEmailChannel({
      smtpUrl: options.email.smtpUrl,
      from: options.email.from ?? 'Interlock <interlock@example.test>',
      gatewayUrl: () => gateway.url,
      tokens: emailTokens!,
    });
  const nativeConnection =
    stack.temporal?.nativeConnection ?? (await NativeConnection.connect({ address: stack.temporalAddress }));
  const worker: Worker | undefined =
    options.worker === false
      ? undefined
      : await createIncidentWorker({
          connection: nativeConnection,
          namespace: 'default',
          taskQueue,
          ...codecOptions(options.payloadCodec),
          dependencies: {
            playbooks: PlaybookCatalog.fromDirectory(playbookDir),
            policy: () => parsePolicy(options.policy ?? '{}', 'test policy'),
            audit,
            // Stands in for Slack/email: the test reads what would have been sent.
            notifier: {
              send: async (n: Notification) => {
                if (options.failNotification?.(n)) throw new Error('channel unreachable (test)');
                notifications.push(n);
              },
            },
            guardrails,
            secrets: options.secrets,
            trust,
            actions: options.actions,
            onCall: options.onCallLookup ?? rotationLookup(() => options.onCall),
            contacts: harnessContacts,
            channels: [
              ...(options.slack
                ? [
                    slackChannel(createSlackClient(options.slack.token, options.slack.apiUrl), {
                      channel: options.slack.channel,
                      directMessages: true,
                    }),
                  ]
                : []),
              ...(emailChannel ? [emailChannel] : []),
              ...(options.channels ?? []),
            ],
            delivery: options.delivery ?? { minRetryMs: 50 },
            links: options.links && { ...options.links, namespace: 'default' },
          },
          retention: createAuditRetention(opensearch, stack.auditIndexPrefix),
          maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities,
          workflowBundlePath: stack.workflowBundlePath,
          tracing: options.tracing,
        });
  const workerRun = worker?.run();
  await guardrails.ensureRunning(options.standingRules ?? []);
  const gatewayLog = options.gatewayLog ?? pino({ level: 'silent' });
  const signInPort = options.signIn ? await freePort() : 0;
  const signIn =
    options.signIn &&
    createBrowserSignIn(
      {
        ...options.signIn,
        publicGatewayUrl: `http://127.0.0.1:${signInPort}`,
        claims: { rolesClaim: 'roles', groupsClaim: 'groups', teamsClaim: 'teams' },
      },
      gatewayLog,
    );
  const app = createApp({
    client,
    taskQueue,
    principals: PrincipalDirectory.fromYaml(principalsYaml, 'test principals', options.env ?? {}),
    jwt: options.jwt,
    audit,
    opensearchPing: () => opensearch.ping(),
    log: gatewayLog,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
    guardrailsWorkflowId,
    signer,
    refirePolicy: options.refirePolicy,
    payloadCodec: options.payloadCodec,
    codecCorsOrigins: options.codecCorsOrigins,
    slack: options.slack
      ? {
          signingSecret: options.slack.signingSecret,
          client: createSlackClient(options.slack.token, options.slack.apiUrl),
        }
      : undefined,
    email: emailTokens && { tokens: emailTokens, signInTiers: options.email?.signInTiers ?? [] },
    signIn,
    console: options.console
      ? {
          sessions: signIn?.sessions ?? createSessions(randomBytes(48).toString('base64'), false),
          tokenSignIn: true,
        }
      : undefined,
    tracing: Boolean(options.tracing),
    pdf: createPdfRenderer(options.chromiumPath),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(signInPort, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway.url = baseUrl;

  async function request(
    method: string,
    url: string,
    opts: { as?: Person; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.as) headers.authorization = `Bearer ${tokens[opts.as]}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${baseUrl}${url}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  return {
    taskQueue,
    guardrailsWorkflowId,
    signer,
    /** The gateway's private key, for tests that sign as it would (expired, replayed, …). */
    signingKey: signingKey.privateKey,
    trust,
    onCallRotation: options.onCall,
    playbookDir,
    notifications,
    client,
    baseUrl,
    tokens,
    opensearch,
    audit,
    request,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // The control workflow would otherwise wait forever for a worker that is gone.
      await client.workflow
        .getHandle(guardrailsWorkflowId)
        .terminate('test over')
        .catch(() => undefined);
      worker?.shutdown();
      await workerRun;
      // The console reads statuses in the background, each call cancelled after 2 s; a call
      // still open when the connection closes would be retried by the client on a closed channel
      // (an uncaught error), so let the last ones end first.
      if (options.console) await new Promise((resolve) => setTimeout(resolve, 2_100));
      if (!stack.temporal) {
        await connection?.close();
        await nativeConnection.close();
      }
      fs.rmSync(playbookDir, { recursive: true, force: true });
    },
  };
}
export type Interlock = Awaited<ReturnType<typeof startInterlock>>;

/**
 * The broadcast publishes to the worker's own watch, then lists the running responses to
 * signal them; without ListWorkflowExecutions that list fails, and the control workflow would
 * retry the broadcast every 30 s of (skipped) time forever. Treat it as "no responses listed":
 * responses still read the controls by query before each mitigation.
 */
function withoutVisibility(guardrails: GuardrailsClient): GuardrailsClient {
  return {
    ...guardrails,
    async broadcast(controls) {
      try {
        return await guardrails.broadcast(controls);
      } catch (err) {
        if (/ListWorkflowExecutions is unimplemented/.test(String((err as Error).cause ?? err))) return 0;
        throw err;
      }
    },
  };
}

/** An Alertmanager v4 webhook for one alert group, as Alertmanager sends it. */
export function alertmanagerWebhook(
  groupKey: string,
  overrides: { status?: 'firing' | 'resolved'; labels?: Record<string, string>; summary?: string } = {},
) {
  const labels = {
    alertname: 'PostgresReplicationLag',
    service: 'payments-db',
    environment: 'prod',
    severity: 'critical',
    incident_tag: 'INC-42',
    ...overrides.labels,
  };
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: overrides.status ?? 'firing',
    receiver: 'interlock',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: { summary: overrides.summary ?? 'Replication lag above 30s on payments-db' },
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status: overrides.status ?? 'firing',
        labels: { ...labels, instance: 'db-1:5432' },
        annotations: { summary: overrides.summary ?? 'Replication lag above 30s on payments-db' },
        startsAt: '2026-11-22T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph',
        fingerprint: 'c0ffee0123456789',
      },
    ],
  };
}

/** A playbook with one automatic diagnostic and one mitigation that needs approval. */
export function restartPlaybook(
  targetUrl: string,
  opts: {
    tier?: string;
    approvers?: number;
    approvalTimeout?: string;
    mitigationTimeout?: string;
    alertname?: string;
    extraStep?: boolean;
    policy?: string;
    escalation?: string[];
    remindAfter?: string;
    validFor?: string;
    compensation?: boolean;
    version?: number;
    /** Mark the diagnostic safe to run in a dry run (the verification stays unmarked). */
    safeInDryRun?: boolean;
  } = {},
) {
  const policy =
    opts.policy ??
    `{ mode: approval, tier: "${opts.tier ?? 'tier1'}", approvers: ${opts.approvers ?? 1}, timeout: ${opts.approvalTimeout ?? '5m'}, escalation: [${(opts.escalation ?? []).map((t) => `"${t}"`).join(', ')}]${opts.remindAfter ? `, remindAfter: ${opts.remindAfter}` : ''}${opts.validFor ? `, validFor: ${opts.validFor}` : ''} }`;
  return `
id: restart-replica
version: ${opts.version ?? 3}
description: Restart a lagging replica after a human approves
match:
  labels:
    alertname: ${opts.alertname ?? 'PostgresReplicationLag'}
steps:
  - id: check-lag
    kind: diagnostic
    action: http.request
${opts.safeInDryRun ? '    safeInDryRun: true\n' : ''}    params:
      method: GET
      url: ${targetUrl}/diagnostics/lag
      timeout: 5s
  - id: restart-replica
    kind: mitigation
    risk: high
    action: http.request
    impact: Restarts the replica; reads fail over to the primary for about 30 seconds
    inputs:
      instance: { type: string, default: db-1, enum: [db-1, db-2] }
      drainSeconds: { type: integer, default: 30, min: 0, max: 120 }
    params:
      method: POST
      url: ${targetUrl}/mitigations/restart
      headers:
        Authorization: Bearer super-secret-token
      body:
        instance: "{{inputs.instance}}"
        drainSeconds: "{{inputs.drainSeconds}}"
        incident: "{{labels.incident_tag}}"
      timeout: ${opts.mitigationTimeout ?? '10s'}
    policy: ${policy}
${
  opts.compensation
    ? `    compensation:
      action: http.request
      params:
        method: POST
        url: ${targetUrl}/mitigations/undo-restart
        body: { instance: "{{inputs.instance}}" }
        timeout: 5s
`
    : ''
}${
    opts.extraStep
      ? `  - id: verify-lag
    kind: verification
    action: http.request
    params:
      method: GET
      url: ${targetUrl}/verify/lag
      timeout: 5s
`
      : ''
  }`;
}

export function uniqueGroupKey(label: string): string {
  return `{}/{alertname="PostgresReplicationLag"}:{test="${label}-${randomUUID()}"}`;
}
