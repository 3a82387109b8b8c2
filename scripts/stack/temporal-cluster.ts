import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { temporalConnectionOptionsFromEnv } from '../../src/clients/temporal/connection.js';
import { ensurePostgres, type PostgresEndpoint } from './postgres.js';
import { isPortOpen, sleep, StackError, type ManagedProcess } from './process.js';
import { SEARCH_ATTRIBUTES, TEMPORAL_SERVER_VERSION, type StackProfile } from './profiles.js';
import { ensureSearchAttributes, temporalReachable, type TemporalEndpoint } from './temporal.js';
import { ensureTemporalServerBinaries, setupSchema, startTemporalServer } from './temporal-server.js';

/** How long closed responses stay in the cluster's history (the audit trail keeps them for good). */
const RETENTION = '3 days';

export interface TemporalCluster extends TemporalEndpoint {
  postgres: PostgresEndpoint;
  /** Stop the server (SIGTERM, or SIGKILL for a crash) and start it again on the same database. */
  restartServer?(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A cluster profile's Temporal: PostgreSQL, the schema, the real server, the namespace and the
 * search attributes through the operator API, as an operator would set up production. The Go
 * build (first run) and PostgreSQL's start run side by side.
 */
export async function ensureTemporalCluster(
  profile: StackProfile,
  log: (msg: string) => void,
): Promise<TemporalCluster> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const address = `127.0.0.1:${profile.temporalPort}`;
  const reachable = () => temporalReachable(address);
  const [postgresResult, binsResult] = await Promise.allSettled([
    ensurePostgres(profile, log),
    ensureTemporalServerBinaries(log),
  ]);
  if (postgresResult.status === 'rejected' || binsResult.status === 'rejected') {
    if (postgresResult.status === 'fulfilled') await postgresResult.value.process?.stop();
    throw postgresResult.status === 'rejected' ? postgresResult.reason : (binsResult as PromiseRejectedResult).reason;
  }
  const postgres = postgresResult.value;
  const bins = binsResult.value;

  if (await isPortOpen(profile.temporalPort)) {
    if (!(await reachable()))
      throw new StackError(`Port ${profile.temporalPort} is taken by something that is not a Temporal server.`);
    log(`Temporal: reusing the server already running on ${address}`);
    await ensureNamespaceReady(address, namespace);
    return { address, namespace, postgres };
  }
  try {
    await setupSchema(bins, postgres);
    let server: ManagedProcess = await startTemporalServer(profile, bins, postgres, reachable, log);
    await ensureNamespaceReady(address, namespace);
    const cluster: TemporalCluster = {
      address,
      namespace,
      postgres,
      get process() {
        return server;
      },
      async restartServer(signal?: NodeJS.Signals) {
        if (signal) {
          server.signal(signal);
          await server.exited;
        } else await server.stop();
        server = await startTemporalServer(profile, bins, postgres, reachable, () => undefined);
      },
    };
    return cluster;
  } catch (err) {
    await postgres.process?.stop();
    throw err;
  }
}

/**
 * The real server creates no user namespace: register it (once), then the custom search
 * attributes through the operator API, and wait until a query on them is accepted, so the first
 * workflow that upserts them does not race the server's caches.
 */
async function ensureNamespaceReady(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptionsFromEnv(address));
  try {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) })
      .catch((err: { code?: number }) => {
        // 6: ALREADY_EXISTS (a persisted cluster, or another stack script was first).
        if (err.code !== 6) throw err;
      });
    await retry(`namespace ${namespace}`, () => connection.workflowService.describeNamespace({ namespace }));
  } finally {
    await connection.close();
  }
  await retry(`search attributes on ${namespace}`, () => ensureSearchAttributes(address, namespace));
  const probe = Object.keys(SEARCH_ATTRIBUTES)
    .map((name) => `${name} IS NOT NULL`)
    .join(' AND ');
  const check = await Connection.connect(temporalConnectionOptionsFromEnv(address));
  try {
    await retry(`a query on every search attribute (${TEMPORAL_SERVER_VERSION})`, () =>
      check.workflowService.listWorkflowExecutions({ namespace, query: probe, pageSize: 1 }),
    );
  } finally {
    await check.close();
  }
}

/** A fresh namespace is visible to the frontend only after its caches refresh (seconds). */
async function retry<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline)
        throw new StackError(`Temporal: ${what} not ready after ${timeoutMs / 1000}s: ${String(err)}`);
      await sleep(500);
    }
  }
}
