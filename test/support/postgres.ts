import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgresIn, type PostgresEndpoint } from '../../scripts/stack/postgres.js';
import { systemUserIdentity } from '../../scripts/stack/system-user.js';
import { POSTGRES_SYSTEM_USER } from '../../scripts/stack/profiles.js';
import { freePort } from './net.js';

/**
 * A PostgreSQL 15 of the test's own (Debian's server binaries, as the cluster profile uses):
 * initdb into a temporary directory, started on a free loopback port as the `interlock-postgres`
 * system user when the tests run as root (PostgreSQL refuses root), through the same code as
 * the stack (scripts/stack/postgres.ts). Stopped and deleted by stop().
 *
 * Roles made for the tests, each with a random password:
 * - `app`: an application's role, whose sessions the actions cancel and terminate;
 * - `ops`: member of pg_signal_backend and pg_monitor, as an operator's role for Interlock should be;
 * - `weak`: nothing granted, so signalling another role's session is refused.
 */
export interface TestPostgres {
  endpoint: PostgresEndpoint;
  /** A connection string for one of the roles (the superuser by default). */
  url(role?: 'superuser' | 'app' | 'ops' | 'weak'): string;
  /** A superuser pool for setting up and checking. */
  admin: pg.Pool;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-pg-'));
  // mkdtemp makes it 0700 for us; the server's system user must own it.
  await systemUserIdentity(POSTGRES_SYSTEM_USER, [root]);
  const port = await freePort();
  const endpoint = await startPostgresIn(root, port, () => undefined, {
    logName: `postgres-test-${port}.log`,
    maxConnections: 50,
  });
  const passwords = { app: randomPassword(), ops: randomPassword(), weak: randomPassword() };
  const base = `postgres://${endpoint.user}:${encodeURIComponent(endpoint.password)}@127.0.0.1:${port}`;
  const admin = new pg.Pool({ connectionString: `${base}/postgres`, max: 4 });
  admin.on('error', () => undefined);
  for (const [role, password] of Object.entries(passwords))
    // Our own names and hex passwords: nothing here needs quoting (CREATE ROLE takes no bind parameters).
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  // pg_monitor: the diagnostics read other roles' queries (otherwise "<insufficient privilege>").
  await admin.query('GRANT pg_signal_backend, pg_monitor TO ops');
  return {
    endpoint,
    admin,
    url(role = 'superuser') {
      if (role === 'superuser') return `${base}/postgres`;
      return `postgres://${role}:${encodeURIComponent(passwords[role])}@127.0.0.1:${port}/postgres`;
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await endpoint.process?.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

const randomPassword = () => randomBytes(18).toString('hex');
