import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalConnectionOptionsFromEnv } from '../../src/clients/temporal/connection.js';
import protoPackage from '@temporalio/proto';

// @temporalio/proto is CommonJS; Node's ESM loader only sees its default export.
const { temporal: proto } = protoPackage;
import { isPortOpen, run, startProcess, StackError, waitUntilReady, which, type ManagedProcess } from './process.js';
import { cacheDir, SEARCH_ATTRIBUTES, TEMPORAL_CLI_VERSION, type StackProfile } from './profiles.js';

export interface TemporalEndpoint {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Set when this script started the server (and so must stop it). */
  process?: ManagedProcess;
}

/**
 * Find a `temporal` CLI: one on PATH wins (the user's own), then our cache; otherwise build it
 * from the Go module proxy. v1.5.1 is pinned because it is the newest tag whose go.mod has no
 * `replace` directives, which `go install pkg@version` refuses.
 */
export async function ensureTemporalCli(log: (msg: string) => void): Promise<string> {
  const onPath = which('temporal');
  if (onPath) return onPath;
  const binDir = path.join(cacheDir(), 'bin');
  const cached = path.join(binDir, 'temporal');
  if (fs.existsSync(cached)) return cached;
  if (!which('go')) {
    throw new StackError(
      'No `temporal` CLI on PATH and no Go toolchain to build it. Install Go >= 1.25 ' +
        '(https://go.dev/doc/install) or the Temporal CLI, or set TEMPORAL_ADDRESS to a running server.',
    );
  }
  fs.mkdirSync(binDir, { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first run only, several minutes)...`);
  await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: binDir, GOFLAGS: '-mod=mod' },
  });
  if (!fs.existsSync(cached)) throw new StackError(`go install finished but ${cached} is missing`);
  return cached;
}

export async function temporalReachable(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptionsFromEnv(address), connectTimeout: 2000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Reuse TEMPORAL_ADDRESS or a server already on the profile's port; otherwise start the CLI
 * dev server. Either way, make sure the custom search attributes exist.
 */
export async function ensureTemporal(profile: StackProfile, log: (msg: string) => void): Promise<TemporalEndpoint> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    if (!(await temporalReachable(external))) {
      throw new StackError(`TEMPORAL_ADDRESS=${external} is set but no Temporal server answers there.`);
    }
    log(`Temporal: using TEMPORAL_ADDRESS=${external}`);
    await ensureSearchAttributes(external, namespace);
    return { address: external, namespace };
  }

  const address = `127.0.0.1:${profile.temporalPort}`;
  const uiUrl = `http://127.0.0.1:${profile.temporalUiPort}`;
  if (await isPortOpen(profile.temporalPort)) {
    if (!(await temporalReachable(address))) {
      throw new StackError(
        `Port ${profile.temporalPort} is taken by something that is not a Temporal server. ` +
          `Stop it, or point TEMPORAL_ADDRESS at your Temporal server.`,
      );
    }
    log(`Temporal: reusing the server already running on ${address}`);
    await ensureSearchAttributes(address, namespace);
    return { address, namespace, uiUrl };
  }
  if (await isPortOpen(profile.temporalUiPort)) {
    throw new StackError(`Port ${profile.temporalUiPort} (Temporal Web UI) is taken by another process.`);
  }

  const cli = await ensureTemporalCli(log);
  const dataDir = path.join(cacheDir(), 'temporal');
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(profile.temporalPort),
    '--ui-port',
    String(profile.temporalUiPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  if (profile.persistTemporal) args.push('--db-filename', path.join(dataDir, `${profile.name}.sqlite`));
  const proc = startProcess('Temporal dev server', cli, args, path.join(logDir, `temporal-${profile.name}.log`));
  log(`Temporal: starting dev server on ${address} (log: ${proc.logFile})`);
  await waitUntilReady(proc, () => temporalReachable(address), 60_000);
  await ensureSearchAttributes(address, namespace);
  return { address, namespace, uiUrl, process: proc };
}

const INDEXED_VALUE_TYPE: Record<string, number> = {
  Keyword: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Text: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Datetime: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** Idempotent: registers only the attributes the namespace lacks (a reused server may have none). */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptionsFromEnv(address));
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]!])),
    });
  } finally {
    await connection.close();
  }
}
