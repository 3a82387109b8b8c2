/**
 * `npm run stack -- [up|check] [--profile dev|test|cluster|cluster-test]`
 *   up     provision and start the profile's servers in the foreground; Ctrl-C stops them.
 *          `cluster` also starts its workers and gateways (the production topology on one machine).
 *   check  start nothing; report whether each server answers (exit 1 if one does not).
 */
import { parseArgs } from 'node:util';
import { devConsole, devDecisionKeys, startApps, waitForApps, type AppProcess } from './stack/apps.js';
import { isPortOpen, tail } from './stack/process.js';
import { ensureStack, PROFILES, StackError, type StackProfile } from './stack/index.js';
import { PROFILE_NAMES } from './stack/profiles.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'string', default: 'dev' } },
});
const command = positionals[0] ?? 'up';
const profileName = values.profile as StackProfile['name'];
if (!(profileName in PROFILES)) {
  console.error(`Unknown profile "${profileName}"; use one of ${PROFILE_NAMES}.`);
  process.exit(2);
}
const profile = PROFILES[profileName];

/** Every port the profile's servers (and, for `cluster`, its apps) listen on, by what listens there. */
function listeners(): Array<[string, number]> {
  const c = profile.cluster;
  return [
    ...(c ? [['PostgreSQL', c.postgresPort] as [string, number]] : []),
    ['Temporal', profile.temporalPort],
    ['OpenSearch', profile.opensearchHttpPort],
    ...(c?.extraOpenSearchNodes.map((n, i) => [`OpenSearch node-${i + 2}`, n.httpPort] as [string, number]) ?? []),
    ...(c && profile.name === 'cluster'
      ? c.gatewayPorts.map((port, i) => [`Gateway ${i + 1}`, port] as [string, number])
      : []),
  ];
}

if (command === 'check') {
  let allUp = true;
  for (const [what, port] of listeners()) {
    const up = await isPortOpen(port);
    allUp &&= up;
    console.log(`${what.padEnd(20)} 127.0.0.1:${port}  ${up ? 'up' : 'down'}`);
  }
  process.exit(allUp ? 0 : 1);
} else if (command === 'up') {
  try {
    const stack = await ensureStack(profileName);
    let apps: AppProcess[] = [];
    let stopping = false;
    const shutdown = async (code: number) => {
      stopping = true;
      await Promise.all(apps.map((a) => a.stop()));
      await stack.stop();
      process.exit(code);
    };
    process.once('SIGINT', () => void shutdown(0));
    process.once('SIGTERM', () => void shutdown(0));
    const c = profile.cluster;
    if (c && profile.name === 'cluster') {
      const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? 'interlock';
      apps = startApps({
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.temporal.address,
          TEMPORAL_NAMESPACE: stack.temporal.namespace,
          TEMPORAL_TASK_QUEUE: taskQueue,
          // Every node: the workers and gateways keep auditing when one of them is lost.
          OPENSEARCH_URL: (stack.cluster?.opensearchNodes ?? [stack.opensearch]).map((n) => n.url).join(','),
          AUDIT_INDEX_REPLICAS: String(c.auditIndexReplicas),
          // Rate limits are per gateway: the fleet's budget (600 a minute per principal, the
          // single gateway's default) divided among the gateways (README, Running several gateways).
          RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? String(Math.floor(600 / c.gatewayPorts.length)),
          ...devDecisionKeys(),
          ...devConsole(),
        },
        gatewayPorts: c.gatewayPorts,
        workerHttpPorts: Array.from({ length: c.workers }, (_, i) => c.workerHttpPortBase + i),
        logSuffix: profile.name,
      });
      for (const app of apps)
        void app.exited.then((code) => {
          if (stopping) return;
          console.error(
            `stack: ${app.name} exited (code ${code}). Last lines of ${app.logFile}:\n${tail(app.logFile)}`,
          );
          void shutdown(1);
        });
      if (!(await waitForApps(apps, { ...stack.temporal, taskQueue }))) {
        console.error('stack: the workers or gateways did not become ready within 120 s; see their logs:');
        for (const app of apps) console.error(`  ${app.logFile}`);
        await shutdown(1);
      }
    }
    console.log(`Stack ready (profile ${profile.name}).`);
    for (const [what, port] of listeners()) console.log(`  ${what.padEnd(20)} 127.0.0.1:${port}`);
    if (stack.temporal.uiUrl) console.log(`  ${'Temporal Web UI'.padEnd(20)} ${stack.temporal.uiUrl}`);
    for (const app of apps.filter((a) => a.kind === 'worker'))
      console.log(`  ${app.name.padEnd(20)} ${app.url}/metrics`);
    console.log('Ctrl-C stops.');
  } catch (err) {
    console.error(err instanceof StackError ? `stack: ${err.message}` : err);
    process.exit(1);
  }
} else {
  console.error(`Unknown command "${command}"; use up or check.`);
  process.exit(2);
}
