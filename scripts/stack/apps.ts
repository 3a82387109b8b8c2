import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalConnectionOptionsFromEnv } from '../../src/clients/temporal/connection.js';
import { sleep, startProcess, which, type ManagedProcess } from './process.js';
import { cacheDir } from './profiles.js';

/**
 * Interlock's own processes beside a stack: workers and gateways, each a separate Node process
 * running the TypeScript sources with tsx (`npm start` runs one of each, `stack up --profile
 * cluster` two of each).
 */
export interface AppProcess extends ManagedProcess {
  kind: 'worker' | 'gateway';
  /** The gateway's URL, or the worker's status endpoint (/metrics, /readyz). */
  url: string;
}

export interface AppsOptions {
  /** The environment every process shares (Temporal, OpenSearch, keys, files). */
  env: NodeJS.ProcessEnv;
  gatewayPorts: number[];
  /** One /metrics port per worker (0: the status endpoint off). */
  workerHttpPorts: number[];
  /** Log files are `<kind>-<suffix>-<n>.log` in <cache>/logs. */
  logSuffix: string;
  cwd?: string;
}

export function startApps(options: AppsOptions): AppProcess[] {
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const start = (kind: AppProcess['kind'], n: number, port: number): AppProcess => {
    const entry = kind === 'worker' ? 'src/worker/main.ts' : 'src/api/main.ts';
    const env = {
      ...options.env,
      ...(kind === 'worker' ? { WORKER_HTTP_PORT: String(port) } : { PORT: String(port) }),
    };
    // Numbered only when there are several, so `npm start` keeps its worker-dev.log.
    const count = kind === 'worker' ? options.workerHttpPorts.length : options.gatewayPorts.length;
    const name = count > 1 ? `${kind}-${options.logSuffix}-${n + 1}` : `${kind}-${options.logSuffix}`;
    const proc = startProcess(name, process.execPath, ['--import', 'tsx', entry], path.join(logDir, `${name}.log`), {
      env,
      cwd: options.cwd,
    });
    return { ...proc, kind, url: `http://127.0.0.1:${port}` };
  };
  return [
    ...options.workerHttpPorts.map((port, n) => start('worker', n, port)),
    ...options.gatewayPorts.map((port, n) => start('gateway', n, port)),
  ];
}

/**
 * Ready means: every gateway answers /healthz and every worker started polls the task queue.
 */
export async function waitForApps(
  apps: AppProcess[],
  temporal: { address: string; namespace: string; taskQueue: string },
  timeoutMs = 120_000,
): Promise<boolean> {
  const workers = apps.filter((a) => a.kind === 'worker');
  const gateways = apps.filter((a) => a.kind === 'gateway');
  const connection = await Connection.connect(temporalConnectionOptionsFromEnv(temporal.address));
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const up = await Promise.all(
        gateways.map((g) =>
          fetch(`${g.url}/healthz`).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      );
      const identities = await connection.workflowService
        .describeTaskQueue({ namespace: temporal.namespace, taskQueue: { name: temporal.taskQueue }, taskQueueType: 1 })
        .then(
          (r) => (r.pollers ?? []).map((p) => p.identity ?? ''),
          () => [],
        );
      // The SDK's identity is `<pid>@<host>`; a persisted server still lists earlier runs' pollers.
      const polling = workers.every((w) => identities.some((id) => id.startsWith(`${w.pid}@`)));
      if (up.every(Boolean) && polling) return true;
      await sleep(300);
    }
    return false;
  } finally {
    await connection.close();
  }
}

/**
 * The console in development: a session secret made once in the cache, and token sign-in (with
 * the development tokens of config/principals.dev.yaml). Settings in the environment win. Every
 * gateway of a stack gets the same secret, so a session sealed by one opens on the other. PDF
 * incident reviews use the machine's Chromium when there is one.
 */
export function devConsole(): Record<string, string> {
  const dir = path.join(cacheDir(), 'keys');
  const file = path.join(dir, 'session-secret');
  if (!process.env.SESSION_SECRET && !process.env.SESSION_SECRET_FILE && !fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, randomBytes(48).toString('base64'), { mode: 0o600 });
  }
  const chromium = process.env.CHROMIUM_PATH ?? which('chromium');
  return {
    ...(process.env.SESSION_SECRET || process.env.SESSION_SECRET_FILE ? {} : { SESSION_SECRET_FILE: file }),
    CONSOLE_TOKEN_SIGNIN: process.env.CONSOLE_TOKEN_SIGNIN ?? 'true',
    // Incident reviews as PDF when a Chromium is installed (never installed for this alone).
    ...(chromium ? { CHROMIUM_PATH: chromium } : {}),
  };
}

/**
 * A development key pair for signed decisions, made once in the cache (never in the clone), or in
 * `dir`: the gateways sign with it, the workers verify. Keys set in the environment win.
 */
export function devDecisionKeys(dir = path.join(cacheDir(), 'keys')): Record<string, string> {
  if (process.env.DECISION_SIGNING_KEY_FILE || process.env.DECISION_KEYS_FILE) return {};
  const privateFile = path.join(dir, 'decision-signing.pem');
  const publicFile = path.join(dir, 'decision-keys.yaml');
  if (!fs.existsSync(privateFile) || !fs.existsSync(publicFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
    fs.writeFileSync(publicFile, `keys:\n  - id: dev\n    publicKey: |\n${pem.replace(/^/gm, '      ')}\n`);
  }
  return { DECISION_SIGNING_KEY_FILE: privateFile, DECISION_SIGNING_KEY_ID: 'dev', DECISION_KEYS_FILE: publicFile };
}
