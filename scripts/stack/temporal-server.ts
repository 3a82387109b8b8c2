import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { run, startProcess, StackError, waitUntilReady, which, type ManagedProcess } from './process.js';
import { cacheDir, TEMPORAL_SERVER_VERSION, type StackProfile } from './profiles.js';
import type { PostgresEndpoint } from './postgres.js';

/**
 * The real Temporal server (not the CLI's dev server) on PostgreSQL, as production runs it:
 * built from the Go module proxy with `go install` (once, into the cache), the schema created and
 * migrated with Temporal's own SQL tool from the schema files of the same module version, and a
 * server configuration generated here. All four services (frontend, history, matching, worker)
 * run in one process; a larger deployment runs them as separate processes from the same config.
 */
const MODULE = 'go.temporal.io/server';
export const PLUGIN = 'postgres12'; // PostgreSQL 12 and later, persistence and visibility alike
const DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;
/** Fixed when the database is created: 4 suits one machine (production sizes it to its load, e.g. 512). */
export const HISTORY_SHARDS = 4;

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` in the module source, where the SQL tool's versioned files are. */
  schemaDir: string;
}

/** Build (first run only) the server and the SQL tool into the cache, and find the module's schema files. */
export async function ensureTemporalServerBinaries(log: (msg: string) => void): Promise<TemporalServerBinaries> {
  const binDir = path.join(cacheDir(), 'temporal-server', TEMPORAL_SERVER_VERSION, 'bin');
  const server = path.join(binDir, 'server');
  const sqlTool = path.join(binDir, 'sql');
  if (!which('go'))
    throw new StackError(
      `The cluster profiles build the Temporal server ${TEMPORAL_SERVER_VERSION} with Go (>= 1.25): install it (https://go.dev/doc/install).`,
    );
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  if (!fs.existsSync(server) || !fs.existsSync(sqlTool)) {
    fs.mkdirSync(binDir, { recursive: true });
    log(
      `Temporal server ${TEMPORAL_SERVER_VERSION}: building the server and its SQL tool with go install (first run only, several minutes)...`,
    );
    // Both packages of one module version in one command: the module is resolved once.
    await run(
      'go',
      [
        'install',
        `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      { env: { ...env, GOBIN: binDir } },
    );
    if (!fs.existsSync(server) || !fs.existsSync(sqlTool))
      throw new StackError(`go install finished but ${server} or ${sqlTool} is missing`);
  }
  // The module's source holds the schema files; `go mod download` finds (or refetches) it.
  const download = JSON.parse(
    await run('go', ['mod', 'download', '-json', `${MODULE}@v${TEMPORAL_SERVER_VERSION}`], { env }),
  ) as { Dir?: string; Error?: string };
  if (!download.Dir) throw new StackError(`go mod download ${MODULE}: ${download.Error ?? 'no directory'}`);
  const schemaDir = path.join(download.Dir, 'schema', 'postgresql', 'v12');
  if (!fs.existsSync(path.join(schemaDir, 'temporal', 'versioned')))
    throw new StackError(`${schemaDir} has no versioned schema files`);
  return { server, sqlTool, schemaDir };
}

/**
 * Create both databases if missing and bring their schemas to this server version: the same three
 * steps Temporal's auto-setup image runs (each idempotent, so every start may run them).
 */
export async function setupSchema(bins: TemporalServerBinaries, db: PostgresEndpoint): Promise<void> {
  // The password reaches the tool through its environment (SQL_PASSWORD), not its command line.
  const env = { ...process.env, SQL_PASSWORD: db.password };
  for (const [kind, database] of Object.entries(DATABASES)) {
    const base = ['--plugin', PLUGIN, '--ep', db.host, '-p', String(db.port), '-u', db.user, '--db', database];
    await run(bins.sqlTool, [...base, 'create-database'], { env });
    await run(bins.sqlTool, [...base, 'setup-schema', '-v', '0.0'], { env });
    const versioned = path.join(bins.schemaDir, kind === 'persistence' ? 'temporal' : 'visibility', 'versioned');
    await run(bins.sqlTool, [...base, 'update-schema', '-d', versioned], { env });
  }
}

/** The ports of the server's four services (see ClusterTopology.temporalInternalPortBase). */
export function temporalServerPorts(profile: StackProfile) {
  const base = profile.cluster!.temporalInternalPortBase;
  return {
    frontend: { grpcPort: profile.temporalPort, membershipPort: base + 10, httpPort: base + 20 },
    history: { grpcPort: base + 1, membershipPort: base + 11 },
    matching: { grpcPort: base + 2, membershipPort: base + 12 },
    worker: { grpcPort: base + 3, membershipPort: base + 13 },
  };
}

/** The server's configuration (`config/<env>.yaml`), and dynamic configuration beside it. */
export function serverConfig(profile: StackProfile, db: PostgresEndpoint, dynamicConfigFile: string) {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: PLUGIN,
      databaseName,
      connectAddr: `${db.host}:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      // Rendered from the server's environment (the file is a template, see the first line).
      password: '{{ env "TEMPORAL_POSTGRES_PASSWORD" }}',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const ports = temporalServerPorts(profile);
  const rpc = (p: { grpcPort: number; membershipPort: number; httpPort?: number }) => ({
    rpc: { ...p, bindOnLocalHost: true },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': datastore(DATABASES.persistence, 20),
        'postgres-visibility': datastore(DATABASES.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(ports.frontend),
      history: rpc(ports.history),
      matching: rpc(ports.matching),
      worker: rpc(ports.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${profile.temporalPort}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * The dynamic configuration (settings that differ from the server's defaults), one file for this
 * profile and docker-compose.yml alike.
 */
export const DYNAMIC_CONFIG_FILE = fileURLToPath(new URL('../../config/temporal/dynamic-config.yaml', import.meta.url));

/** Write the config file and start the server; resolves once its frontend answers. */
export async function startTemporalServer(
  profile: StackProfile,
  bins: TemporalServerBinaries,
  db: PostgresEndpoint,
  reachable: () => Promise<boolean>,
  log: (msg: string) => void,
): Promise<ManagedProcess> {
  const root = path.join(cacheDir(), 'temporal-server', profile.name);
  const configDir = path.join(root, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(
    path.join(configDir, 'interlock.yaml'),
    // "enable-template" in the first line makes the server render the file as a Go template.
    `# enable-template: written by scripts/stack/temporal-server.ts, rewritten on every start\n` +
      stringify(serverConfig(profile, db, DYNAMIC_CONFIG_FILE)),
  );
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const proc = startProcess(
    `Temporal server ${TEMPORAL_SERVER_VERSION}`,
    bins.server,
    // No authorizer on a loopback-only server; production configures one (or mTLS in front).
    ['--root', root, '--config', 'config', '--env', 'interlock', '--allow-no-auth', 'start'],
    path.join(logDir, `temporal-server-${profile.name}.log`),
    { env: { ...process.env, TEMPORAL_POSTGRES_PASSWORD: db.password } },
  );
  log(
    `Temporal server ${TEMPORAL_SERVER_VERSION}: starting on 127.0.0.1:${profile.temporalPort} (log: ${proc.logFile})`,
  );
  await waitUntilReady(proc, reachable, 120_000);
  return proc;
}
