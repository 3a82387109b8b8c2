import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { logNotifier, webhookNotifier } from '../clients/notify/notifier.js';
import { loadGuardrails, loadPolicy, PlaybookCatalog } from '../clients/config/catalog.js';
import { createGuardrailsClient } from '../clients/temporal/guardrails-client.js';
import { Client, Connection } from '@temporalio/client';
import { createAuditStore } from '../clients/opensearch/audit-store.js';
import { loadConfigOrExit, orExit, workerEnvSchema } from '../config/env.js';
import { createIncidentWorker } from './create-worker.js';
import { sdkLogger } from './sdk-logger.js';

const config = loadConfigOrExit(workerEnvSchema);
const log = pino({ level: config.LOG_LEVEL, name: 'worker' });
// Before any connection: the SDK's own messages go through the same logger.
Runtime.install({ logger: sdkLogger(log.child({ component: 'temporal-sdk' })) });

// A broken playbook, policy or guardrails file stops the worker with the file and the problem.
const playbooks = orExit(() => PlaybookCatalog.fromDirectory(config.PLAYBOOKS_DIR));
log.info({ playbooks: playbooks.all.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
orExit(() => loadPolicy(config.POLICY_FILE)); // refuse to start on a broken policy file
const standingRules = orExit(() => loadGuardrails(config.GUARDRAILS_FILE));

const audit = createAuditStore(new OpenSearchClient({ node: config.OPENSEARCH_URL }), config.AUDIT_INDEX_PREFIX);
await audit.installTemplate();

const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
// Activities read and broadcast the guardrails through an ordinary client.
const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const guardrails = createGuardrailsClient(
  new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE }),
  {
    workflowId: config.GUARDRAILS_WORKFLOW_ID,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  },
);
const worker = await createIncidentWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  dependencies: {
    playbooks,
    policy: () => loadPolicy(config.POLICY_FILE),
    audit,
    notifier: config.NOTIFY_WEBHOOK_URL
      ? webhookNotifier(config.NOTIFY_WEBHOOK_URL)
      : logNotifier((m, attrs) => log.info(attrs, m)),
    guardrails,
    links: {
      gatewayUrl: config.PUBLIC_GATEWAY_URL,
      consoleUrl: config.PUBLIC_CONSOLE_URL,
      temporalUiUrl: config.PUBLIC_TEMPORAL_UI_URL,
      namespace: config.TEMPORAL_NAMESPACE,
    },
  },
});
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
// Start the control workflow (or hand the running one the current standing rules).
await guardrails.ensureRunning(standingRules);
// Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
await worker.run();
await clientConnection.close();
await connection.close();
