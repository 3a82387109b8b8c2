import { NativeConnection, Runtime } from '@temporalio/worker';
import type { NotificationChannel } from '../clients/notify/channel.js';
import { slackChannel } from '../clients/notify/slack/channel.js';
import { createSlackClient, slackSettings } from '../clients/slack/connection.js';
import { logNotifier, webhookNotifier } from '../clients/notify/notifier.js';
import { createOpenSearchClient } from '../clients/opensearch/connection.js';
import { createAuditRetention } from '../clients/opensearch/audit-retention.js';
import { temporalConnectionOptions } from '../clients/temporal/connection.js';
import { ensureRetentionSchedule } from '../clients/temporal/retention-schedule.js';
import { loadConfigFiles } from './config-files.js';
import { createGuardrailsClient } from '../clients/temporal/guardrails-client.js';
import { Client, Connection } from '@temporalio/client';
import { createAuditStore } from '../clients/opensearch/audit-store.js';
import { loadConfigOrExit, orExit, workerEnvSchema } from '../config/env.js';
import { loadTrust } from '../clients/config/trust.js';
import { parseRotation } from '../clients/config/oncall.js';
import { ReloadingConfigFile } from '../clients/config/reloading-file.js';
import { pagingSetup } from './paging.js';
import { createLogger } from '../config/logger.js';
import { secretProviderFor } from '../clients/secrets/provider.js';
import { codecOptions, createEncryptionCodec } from '../clients/temporal/payload-codec.js';
import { createIncidentWorker } from './create-worker.js';
import { sdkLogger } from './sdk-logger.js';
import { emailFromConfig } from './email.js';
import { sdkMetricsAddress, sdkMetricsOptions } from './sdk-metrics.js';
import { createMetricsEndpoint } from './metrics-endpoint.js';
import { startTracing, tracingClientInterceptors } from '../clients/telemetry/tracing.js';
import { kubernetesConfig } from '../clients/kubernetes/config.js';

const config = loadConfigOrExit(workerEnvSchema);
const log = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
// Every payload this worker and its client send is encrypted when keys are configured.
const codec = codecOptions(config.PAYLOAD_CODEC_KEYS && createEncryptionCodec(config.PAYLOAD_CODEC_KEYS));
const secrets = secretProviderFor(config);
log.info(
  { secrets: secrets.description, payloadCodec: Boolean(codec.dataConverter) },
  'secrets and payload encryption',
);
// Before any connection: the SDK's own messages go through the same logger, and its metrics
// (with the workflows' counters) to a Prometheus exporter the status server serves from.
const sdkMetricsBind = config.WORKER_HTTP_PORT
  ? await sdkMetricsAddress(config.WORKER_SDK_METRICS_ADDRESS)
  : config.WORKER_SDK_METRICS_ADDRESS;
Runtime.install({
  logger: sdkLogger(log.child({ component: 'temporal-sdk' })),
  ...(sdkMetricsBind ? { telemetryOptions: { metrics: sdkMetricsOptions(sdkMetricsBind) } } : {}),
});
// Before any client exists: the client and activity interceptors use this provider.
const tracing = startTracing(config, 'interlock-worker');
log.info({ traces: tracing?.url ?? 'off (OTEL_EXPORTER_OTLP_ENDPOINT unset)' }, 'tracing');

// Broken playbooks, policy or guardrails stop the worker with every problem (file, field, line);
// once running, a broken edit is refused and the last good version stays in service.
const files = orExit(() => loadConfigFiles(config, log));
// Re-read when it changes (on each lookup): a swap agreed in the team applies to the next request.
// A broken edit is refused and the last good rotation stays in service (reported like the others).
const rotation = config.ONCALL_FILE
  ? orExit(() => ReloadingConfigFile.load(config.ONCALL_FILE!, parseRotation, { health: files.health }))
  : undefined;
// PagerDuty paging, and who is on call from the rotation file, iCal feeds and PagerDuty.
const paging = orExit(() => pagingSetup(config, () => rotation?.current(), log));
// The gateway keys signed decisions are verified with; without them nothing lets automation proceed.
const trust = orExit(() =>
  loadTrust({
    keysFile: config.DECISION_KEYS_FILE,
    maxAgeSeconds: config.DECISION_MAX_AGE_SECONDS,
    trustTemporalIdentity: config.TRUST_TEMPORAL_IDENTITY,
    liftRoles: config.GUARDRAILS_LIFT_ROLES,
    engagerMayLift: config.GUARDRAILS_ENGAGER_MAY_LIFT,
  }),
);
if (Object.keys(trust.keys).length === 0 && !trust.trustTemporalIdentity)
  log.warn('DECISION_KEYS_FILE is not set: approvals, opt-ins and lifts will be refused (see README, Security model)');
const { playbooks } = files;
const slack = orExit(() => slackSettings(config));
const channels: NotificationChannel[] = [...paging.channels];
if (slack.botToken && (config.SLACK_CHANNEL || config.SLACK_DIRECT_MESSAGES))
  channels.push(
    slackChannel(createSlackClient(slack.botToken, slack.apiUrl), {
      channel: config.SLACK_CHANNEL,
      directMessages: config.SLACK_DIRECT_MESSAGES,
    }),
  );
log.info({ channels: channels.map((c) => c.name) }, 'notification channels');
log.info({ playbooks: playbooks.all.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
const temporalOptions = orExit(() => temporalConnectionOptions(config));
const opensearch = orExit(() => createOpenSearchClient(config));

const audit = createAuditStore(opensearch, config.AUDIT_INDEX_PREFIX, {
  replicas: config.AUDIT_INDEX_REPLICAS,
  macKeys: config.AUDIT_MAC_KEYS,
});
await audit.installTemplate();

const email = orExit(() => emailFromConfig(config, opensearch));
log.info({ email: email ? 'on' : 'off (SMTP_URL unset)' }, 'email channel');

const connection = await NativeConnection.connect(temporalOptions);
// Activities read and broadcast the guardrails through an ordinary client.
const clientConnection = await Connection.connect(temporalOptions);
const client = new Client({
  connection: clientConnection,
  namespace: config.TEMPORAL_NAMESPACE,
  ...codec,
  ...tracingClientInterceptors(tracing),
});
const guardrails = createGuardrailsClient(client, {
  workflowId: config.GUARDRAILS_WORKFLOW_ID,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
});
const worker = await createIncidentWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  ...codec,
  dependencies: {
    playbooks,
    policy: () => files.policy.current(),
    audit,
    notifier: config.NOTIFY_WEBHOOK_URL
      ? webhookNotifier(config.NOTIFY_WEBHOOK_URL)
      : logNotifier((m, attrs) => log.info(attrs, m)),
    guardrails,
    secrets,
    trust,
    // The cluster for k8s steps (KUBECONFIG or in-cluster) and the folder for script steps.
    actions: {
      kubernetes: kubernetesConfig({ ...process.env, KUBECONFIG: config.KUBECONFIG }),
      runbooksDir: config.RUNBOOKS_DIR,
    },
    ...paging,
    channels: [...channels, ...(email ? [email.channel] : [])],
    links: {
      gatewayUrl: config.PUBLIC_GATEWAY_URL,
      consoleUrl: config.PUBLIC_CONSOLE_URL,
      temporalUiUrl: config.PUBLIC_TEMPORAL_UI_URL,
      namespace: config.TEMPORAL_NAMESPACE,
    },
  },
  retention: createAuditRetention(opensearch, config.AUDIT_INDEX_PREFIX),
  tracing,
  workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
  maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
});
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
// Start the control workflow (or hand the running one the current standing rules).
await guardrails.ensureRunning(files.guardrails.current());
// An edited guardrails file reaches the control workflow without a restart.
files.watch(config.CONFIG_CHECK_SECONDS, (rules) => {
  guardrails.ensureRunning(rules).catch((err: Error) => log.error({ err }, 'standing rules not delivered'));
});
const retention = await ensureRetentionSchedule(client, {
  scheduleId: config.AUDIT_RETENTION_SCHEDULE_ID,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  retentionMonths: config.AUDIT_RETENTION_MONTHS,
  cron: config.AUDIT_RETENTION_CRON,
});
log.info({ retentionMonths: config.AUDIT_RETENTION_MONTHS ?? 'forever', schedule: retention }, 'audit retention');
// Only with the endpoint on: nothing else reads the pending-approval gauges.
const metrics = createMetricsEndpoint({
  health: files.health,
  running: () => worker.getState() === 'RUNNING',
  sdkMetricsAddress: sdkMetricsBind,
  pendingApprovals: {
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    intervalMs: config.WORKER_HTTP_PORT ? config.PENDING_APPROVALS_POLL_SECONDS * 1000 : 0,
  },
  log,
});
if (config.WORKER_HTTP_PORT)
  log.info(
    { url: await metrics.listen(config.WORKER_HTTP_PORT, config.WORKER_HTTP_HOST), sdkMetrics: sdkMetricsBind },
    'worker metrics and readiness',
  );
// Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
await worker.run();
await metrics.close();
await tracing?.shutdown();
await clientConnection.close();
await connection.close();
