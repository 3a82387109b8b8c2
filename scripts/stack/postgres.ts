import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isPortOpen, run, startProcess, StackError, waitUntilReady, type ManagedProcess } from './process.js';
import { cacheDir, POSTGRES_MAJOR_VERSION, POSTGRES_SYSTEM_USER, type StackProfile } from './profiles.js';
import { systemUserIdentity } from './system-user.js';

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  /** Made once per data directory and kept beside it (mode 600), never in a log or on a command line. */
  password: string;
  process?: ManagedProcess;
}

/** The role Temporal connects as (the cluster's superuser: the SQL tool creates its databases). */
export const POSTGRES_USER = 'temporal';

/**
 * Debian's PostgreSQL server binaries (package `postgresql-15`); `POSTGRES_BIN_DIR` names
 * another installation's bin directory.
 */
function binDir(): string {
  const dir = process.env.POSTGRES_BIN_DIR ?? `/usr/lib/postgresql/${POSTGRES_MAJOR_VERSION}/bin`;
  if (!fs.existsSync(path.join(dir, 'postgres')))
    throw new StackError(
      `PostgreSQL ${POSTGRES_MAJOR_VERSION} is needed for the cluster profiles and ${dir}/postgres is missing: ` +
        `apt-get install postgresql-${POSTGRES_MAJOR_VERSION}, or set POSTGRES_BIN_DIR.`,
    );
  return dir;
}

async function isReady(port: number): Promise<boolean> {
  try {
    await run(path.join(binDir(), 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start (or reuse) the profile's PostgreSQL: a cluster of its own under the cache, initialised
 * once with `initdb` (as a system user when we are root), listening on loopback only, password
 * authentication over TCP. A profile that does not persist Temporal starts from an empty cluster.
 */
export async function ensurePostgres(profile: StackProfile, log: (msg: string) => void): Promise<PostgresEndpoint> {
  const port = profile.cluster!.postgresPort;
  const root = path.join(cacheDir(), 'postgres', profile.name);
  const passwordFile = path.join(root, 'password');
  const endpoint = { host: '127.0.0.1', port, user: POSTGRES_USER };
  if (await isPortOpen(port)) {
    if (!(await isReady(port)) || !fs.existsSync(passwordFile))
      throw new StackError(`Port ${port} (PostgreSQL of the ${profile.name} profile) is taken by another process.`);
    log(`PostgreSQL: reusing the server already running on 127.0.0.1:${port}`);
    return { ...endpoint, password: fs.readFileSync(passwordFile, 'utf8') };
  }

  if (!profile.persistTemporal) fs.rmSync(root, { recursive: true, force: true });
  return startPostgresIn(root, port, log, { logName: `postgres-${profile.name}.log`, maxConnections: 200 });
}

/**
 * Initialise (once) and start a PostgreSQL cluster under `root` (data, socket and password kept
 * there), on 127.0.0.1:port, as a system user when we are root. Used by the stack profiles and
 * by tests that need a server of their own (test/support/postgres.ts).
 */
export async function startPostgresIn(
  root: string,
  port: number,
  log: (msg: string) => void,
  options: { logName: string; maxConnections: number },
): Promise<PostgresEndpoint> {
  const dataDir = path.join(root, 'data');
  const passwordFile = path.join(root, 'password');
  const endpoint = { host: '127.0.0.1', port, user: POSTGRES_USER };
  const bin = binDir();
  const socketDir = path.join(root, 'run');
  fs.mkdirSync(socketDir, { recursive: true });
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  if (!fs.existsSync(passwordFile))
    fs.writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = fs.readFileSync(passwordFile, 'utf8');
  const identity = await systemUserIdentity(POSTGRES_SYSTEM_USER, [root]);
  const asUser = { ...identity, env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8' }, cwd: root };

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`PostgreSQL: initdb in ${dataDir}`);
    await run(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        POSTGRES_USER,
        `--pwfile=${passwordFile}`,
        // Local socket connections are the system user's own; over TCP a password is required.
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ],
      asUser,
    );
  }
  const proc = startProcess(
    'PostgreSQL',
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      // The cluster profiles: Temporal's default pools (history, matching, frontend, worker, visibility) on one machine.
      '-c',
      `max_connections=${options.maxConnections}`,
    ],
    path.join(logDir, options.logName),
    // SIGINT is PostgreSQL's fast shutdown: it does not wait for connected clients to leave.
    { ...asUser, stopSignal: 'SIGINT' },
  );
  log(`PostgreSQL ${POSTGRES_MAJOR_VERSION}: starting on 127.0.0.1:${port} (log: ${proc.logFile})`);
  await waitUntilReady(proc, () => isReady(port), 60_000);
  return { ...endpoint, password, process: proc };
}
