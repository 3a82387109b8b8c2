/**
 * `npm start`: provision and start the whole local stack (Temporal, OpenSearch, worker, gateway,
 * and a demo target for the example playbook), print where to go, and stop it all on Ctrl-C.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalConnectionOptionsFromEnv } from '../src/clients/temporal/connection.js';
import { startDemoTarget } from './demo-target.js';
import { devConsole, devDecisionKeys } from './stack/apps.js';
import { ensureStack, StackError } from './stack/index.js';
import { cacheDir } from './stack/profiles.js';
import { sleep, startProcess, tail, type ManagedProcess } from './stack/process.js';

const DEMO_TARGET_PORT = 8090;
const TASK_QUEUE = process.env.TEMPORAL_TASK_QUEUE ?? 'interlock';
const started = Date.now();
const say = (msg: string) => console.log(`[interlock] ${msg}`);
const children: ManagedProcess[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  say('stopping...');
  await Promise.all(children.map((c) => c.stop()));
  await running.stack?.stop();
  await new Promise((resolve) => running.demo?.close(resolve) ?? resolve(undefined));
  say('stopped');
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

// What to stop on Ctrl-C, filled in as things start.
const running: { stack?: Awaited<ReturnType<typeof ensureStack>>; demo?: Awaited<ReturnType<typeof startDemoTarget>> } =
  {};
const stack = await ensureStack('dev', say).catch((err: unknown) => {
  console.error(err instanceof StackError ? `[interlock] cannot start: ${err.message}` : err);
  process.exit(1);
});
running.stack = stack;
running.demo = await startDemoTarget(DEMO_TARGET_PORT, say);

const logDir = path.join(cacheDir(), 'logs');
fs.mkdirSync(logDir, { recursive: true });
const gatewayPort = Number(process.env.PORT ?? stack.profile.gatewayPort);
const env = {
  ...process.env,
  TEMPORAL_ADDRESS: stack.temporal.address,
  TEMPORAL_NAMESPACE: stack.temporal.namespace,
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  OPENSEARCH_URL: stack.opensearch.url,
  PORT: String(gatewayPort),
  ...devDecisionKeys(),
  ...devConsole(),
};
// `node --import tsx` runs the TypeScript sources directly: no build step to forget.
for (const [name, entry] of [
  ['worker', 'src/worker/main.ts'],
  ['gateway', 'src/api/main.ts'],
] as const) {
  const child = startProcess(name, process.execPath, ['--import', 'tsx', entry], path.join(logDir, `${name}-dev.log`), {
    env,
  });
  children.push(child);
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(
      `[interlock] the ${name} exited (code ${code}). Last lines of ${child.logFile}:\n${tail(child.logFile)}`,
    );
    void shutdown(1);
  });
}

// Ready means: the gateway answers and a worker polls the task queue.
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const connection = await Connection.connect(temporalConnectionOptionsFromEnv(stack.temporal.address));
const deadline = Date.now() + 120_000;
for (;;) {
  const gatewayUp = await fetch(`${gatewayUrl}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  const pollers = await connection.workflowService
    .describeTaskQueue({ namespace: stack.temporal.namespace, taskQueue: { name: TASK_QUEUE }, taskQueueType: 1 })
    .then(
      (r) => r.pollers?.length ?? 0,
      () => 0,
    );
  if (gatewayUp && pollers > 0) break;
  if (Date.now() > deadline) {
    console.error('[interlock] the worker or gateway did not become ready within 120 s; see the logs in ' + logDir);
    await shutdown(1);
  }
  await sleep(300);
}
await connection.close();

console.log(`
Interlock is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s).

  Web console          ${gatewayUrl}/console  (sign in with a development token, e.g. dev-bob-token)
  Gateway (HTTP API)   ${gatewayUrl}
  Temporal Web UI      ${stack.temporal.uiUrl ?? '(your Temporal server)'}
  Temporal (gRPC)      ${stack.temporal.address}
  OpenSearch           ${stack.opensearch.url}
  Demo target          http://127.0.0.1:${DEMO_TARGET_PORT} (the example playbook's mitigations land here)
  Logs                 ${logDir}

Try it (development tokens from config/principals.dev.yaml):
  curl -s -XPOST ${gatewayUrl}/v1/alerts/alertmanager -H 'Authorization: Bearer dev-alertmanager-token' \\
       -H 'content-type: application/json' --data @examples/alertmanager-webhook.json
  curl -s ${gatewayUrl}/v1/incidents/<incidentId> -H 'Authorization: Bearer dev-alice-token'
  curl -s -XPOST ${gatewayUrl}/v1/incidents/<incidentId>/approvals/restart-replica-1 -H 'Authorization: Bearer dev-bob-token' \\
       -H 'content-type: application/json' -d '{"decision":"approve","reason":"lag confirmed"}'

Press Ctrl-C to stop everything this command started.
`);
