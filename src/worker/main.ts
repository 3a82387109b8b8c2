import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { logNotifier, webhookNotifier } from '../activities/notification/notifier.js';
import { loadPolicy, PlaybookCatalog } from '../activities/playbook/catalog.js';
import { createAuditStore } from '../audit/audit-store.js';
import { loadConfigOrExit, workerEnvSchema } from '../config/env.js';
import { createIncidentWorker } from './create-worker.js';

const config = loadConfigOrExit(workerEnvSchema);
const log = pino({ level: config.LOG_LEVEL, name: 'worker' });

const playbooks = PlaybookCatalog.fromDirectory(config.PLAYBOOKS_DIR);
log.info({ playbooks: playbooks.all.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
loadPolicy(config.POLICY_FILE); // refuse to start on a broken policy file

const audit = createAuditStore(new OpenSearchClient({ node: config.OPENSEARCH_URL }), config.AUDIT_INDEX_PREFIX);
await audit.installTemplate();

const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createIncidentWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  dependencies: {
    playbooks,
    policy: () => loadPolicy(config.POLICY_FILE),
    audit,
    notifier: config.NOTIFY_WEBHOOK_URL ? webhookNotifier(config.NOTIFY_WEBHOOK_URL) : logNotifier((m, attrs) => log.info(attrs, m)),
  },
});
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
// Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
await worker.run();
await connection.close();
