import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createAuditStore } from '../audit/audit-store.js';
import { gatewayEnvSchema, loadConfig } from '../config/env.js';
import { createApp } from './app.js';
import { PrincipalDirectory } from './auth/principals.js';

const config = loadConfig(gatewayEnvSchema);
const log = pino({ level: config.LOG_LEVEL, name: 'gateway' });

// One Temporal client per process: it multiplexes every request over one connection.
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
const audit = createAuditStore(new OpenSearchClient({ node: config.OPENSEARCH_URL }), config.AUDIT_INDEX_PREFIX);
const app = createApp({
  client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  principals: PrincipalDirectory.fromFile(config.PRINCIPALS_FILE),
  audit,
  log,
});

const server = app.listen(config.PORT, config.HOST, () => {
  log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'gateway listening');
});
const shutdown = () => {
  log.info('shutting down: finishing in-flight requests');
  server.close(() => void connection.close().then(() => process.exit(0)));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
