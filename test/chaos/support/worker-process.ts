import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Notification } from '../../../src/domain/notification/notification.js';
import type { Harness } from '../../support/harness.js';

/** The repository root: worker processes run from it, as `npm run worker` does. */
const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface WorkerProcess {
  label: string;
  pid: number;
  /** The identity Temporal records for its tasks (the SDK's default: pid@host). */
  identity: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Kill it (SIGKILL by default: no handler of its own runs) and wait until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Its log so far (pino JSON lines), for failure messages. */
  log(): string;
}

/**
 * Real worker processes (`src/worker/main.ts`, as production runs it) for a harness started with
 * `worker: false`: same task queue, control workflow and gateway keys, configured through the
 * environment only. Notifications go to a local webhook the test reads.
 */
export async function workerFleet(
  h: Harness,
  options: {
    temporalAddress: string;
    opensearchUrl: string;
    auditIndexPrefix: string;
    workflowBundlePath?: string;
    policy?: string;
    env?: NodeJS.ProcessEnv;
  },
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-chaos-'));
  const keysFile = path.join(dir, 'decision-keys.yaml');
  const publicKey = createPublicKey(h.signingKey).export({ type: 'spki', format: 'pem' }).toString();
  fs.writeFileSync(keysFile, JSON.stringify({ keys: [{ id: 'test-gateway', publicKey }] }));
  const policyFile = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policyFile, options.policy ?? '{}');

  const notifications: Notification[] = [];
  const sink = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        notifications.push(JSON.parse(body) as Notification);
      } catch {
        // not ours
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/notify`;
  const retentionScheduleId = `retention-${h.taskQueue}`;

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    GUARDRAILS_WORKFLOW_ID: h.guardrailsWorkflowId,
    AUDIT_RETENTION_SCHEDULE_ID: retentionScheduleId,
    OPENSEARCH_URL: options.opensearchUrl,
    AUDIT_INDEX_PREFIX: options.auditIndexPrefix,
    PLAYBOOKS_DIR: h.playbookDir,
    POLICY_FILE: policyFile,
    GUARDRAILS_FILE: path.join(dir, 'no-guardrails.yaml'),
    DECISION_KEYS_FILE: keysFile,
    NOTIFY_WEBHOOK_URL: notifyUrl,
    WORKER_HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    ...(options.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: options.workflowBundlePath } : {}),
    ...options.env,
  };
  const workers: WorkerProcess[] = [];

  async function start(label: string): Promise<WorkerProcess> {
    const logFile = path.join(dir, `${label}.log`);
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      fs.appendFileSync(logFile, chunk);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const worker: WorkerProcess = {
      label,
      pid: child.pid!,
      identity: `${child.pid}@${os.hostname()}`,
      exited,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
      log: () => output,
    };
    workers.push(worker);
    // Ready once it polls its task queue (it logs "worker running" just before).
    const deadline = Date.now() + 90_000;
    while (!output.includes('"worker running"')) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`worker ${label} exited before it was ready:\n${output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`worker ${label} not ready in 90 s:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return worker;
  }

  return {
    start,
    workers,
    notifications,
    /** Notifications of one kind about one incident, in the order they arrived. */
    sent: (incidentId: string, kind: string) =>
      notifications.filter((n) => n.incidentId === incidentId && n.kind === kind),
    async stop() {
      // SIGTERM: a worker drains and exits; whatever is left after 10 s is killed.
      await Promise.all(
        workers.map(async (w) => {
          const timer = setTimeout(() => void w.kill('SIGKILL'), 10_000);
          await w.kill('SIGTERM');
          clearTimeout(timer);
        }),
      );
      await h.client.schedule
        .getHandle(retentionScheduleId)
        .delete()
        .catch(() => undefined);
      await new Promise<void>((resolve) => sink.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type WorkerFleet = Awaited<ReturnType<typeof workerFleet>>;

/** A label unique to this run, for alerts and files. */
export const runLabel = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

/** Whether a process still runs (a zombie waiting for a parent that never reaps it has ended). */
export function processRuns(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the command name in parentheses: Z zombie, X dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The parent of a process (for a shell step: the worker that started it). */
export function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
