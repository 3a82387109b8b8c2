import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../../scripts/stack/temporal.js';
import { startProcess, waitUntilReady, type ManagedProcess } from '../../../scripts/stack/process.js';
import { SEARCH_ATTRIBUTES } from '../../../scripts/stack/profiles.js';
import { freePort } from '../../support/net.js';

/**
 * A Temporal dev server of the test's own, persisted in a SQLite file, on a free port: it can be
 * stopped and started again without touching the shared test server (127.0.0.1:17233).
 */
export async function ownTemporal() {
  const cli = await ensureTemporalCli((m) => console.info(m));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-temporal-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--namespace',
    'default',
    '--log-level',
    'warn',
    '--db-filename',
    path.join(dir, 'temporal.sqlite'),
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  let proc: ManagedProcess | undefined;

  async function reachable(): Promise<boolean> {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      return true;
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  async function start(): Promise<void> {
    proc = startProcess('chaos Temporal dev server', cli, args, path.join(dir, 'temporal.log'));
    await waitUntilReady(proc, reachable, 60_000);
  }

  await start();
  return {
    address,
    /** Stop the server (SIGTERM, as an orchestrator would) and start it again on the same file; ms down. */
    async restart(): Promise<number> {
      const down = Date.now();
      await proc?.stop();
      await start();
      return Date.now() - down;
    },
    async stop() {
      await proc?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
