import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashToken } from '../../src/api/auth/principals.js';
import { freePort } from '../../test/support/net.js';
import { normalizeAlertmanager } from '../../src/domain/incident/alertmanager.js';
import { incidentIdFor, workflowIdFor } from '../../src/domain/incident/incident-id.js';
import { alertSignal, INCIDENT_RESPONSE_WORKFLOW, statusQuery } from '../../src/contracts/incident-response.js';
import { alertmanagerWebhook, restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { report } from '../metrics.js';

const CONCURRENCY = 32;
const PER_GROUP = 10;

async function pool<T>(items: T[], work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * The gateway in a process of its own, as `npm start` runs it: sharing the load generator's and
 * the worker's event loop would measure their contention, not the gateway.
 */
async function startGatewayProcess(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 300) throw new Error('bench gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

/**
 * Alert intake through the gateway (auth, validation, normalization, signal-with-start) beside
 * the same number of raw `signalWithStart` calls on the same server; then checks that every
 * accepted delivery was recorded and that no alert group got a second response.
 */
export const intakeSuite: BenchSuite = {
  description: 'alert intake throughput with dedup vs raw signalWithStart; lost deliveries and duplicate responses',
  async run({ stack, iterations = 2000 }) {
    const target = await startTargetServer();
    const h = await startInterlock(stack, { playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
    const groups = Math.max(1, Math.floor(iterations / PER_GROUP));
    const run = randomUUID();
    const viaApi = Array.from({ length: iterations }, (_, i) => `{}/{bench="${run}"}:{api="${i % groups}"}`);
    const viaRaw = Array.from({ length: iterations }, (_, i) => `{}/{bench="${run}"}:{raw="${i % groups}"}`);
    const accepted = new Map<string, Set<string>>();
    let refused = 0;
    const token = `bench-${randomUUID()}`;
    const principalsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-principals-')), 'principals.yaml');
    fs.writeFileSync(
      principalsFile,
      JSON.stringify({
        principals: [{ id: 'bench', name: 'Bench', roles: ['alert-source'], tokenSha256: hashToken(token) }],
      }),
    );
    const gateway = await startGatewayProcess({
      TEMPORAL_ADDRESS: stack.temporalAddress,
      OPENSEARCH_URL: stack.opensearchUrl,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      PRINCIPALS_FILE: principalsFile,
    });
    let apiSeconds = 0;
    let rawSeconds = 0;
    try {
      const viaGateway = async (groupKey: string) => {
        const res = await fetch(`${gateway.url}/v1/alerts/alertmanager`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(alertmanagerWebhook(groupKey)),
        });
        const body = (await res.json()) as { incidentId: string; runId: string };
        if (res.status !== 202) {
          refused++;
          return;
        }
        if (!accepted.has(body.incidentId)) accepted.set(body.incidentId, new Set());
        accepted.get(body.incidentId)!.add(body.runId);
      };
      const direct = async (groupKey: string) => {
        const incidentId = incidentIdFor('alertmanager', groupKey);
        await h.client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
          workflowId: workflowIdFor(incidentId),
          taskQueue: h.taskQueue,
          args: [{ incidentId }],
          signal: alertSignal,
          signalArgs: [normalizeAlertmanager(alertmanagerWebhook(groupKey) as never, incidentId, new Date())],
        });
      };
      // Rounds in alternating order, so neither side always runs first (on a colder server).
      const rounds = 4;
      const slice = Math.ceil(iterations / rounds);
      for (let round = 0; round < rounds; round++) {
        const api = viaApi.slice(round * slice, (round + 1) * slice);
        const rawKeys = viaRaw.slice(round * slice, (round + 1) * slice);
        const timeApi = async () => {
          const t = performance.now();
          await pool(api, viaGateway);
          apiSeconds += (performance.now() - t) / 1000;
        };
        const timeRaw = async () => {
          const t = performance.now();
          await pool(rawKeys, direct);
          rawSeconds += (performance.now() - t) / 1000;
        };
        if (round % 2 === 0) {
          await timeApi();
          await timeRaw();
        } else {
          await timeRaw();
          await timeApi();
        }
      }

      // Every accepted delivery must be in its response, and each group must have one response.
      let recorded = 0;
      const deadline = Date.now() + 60_000;
      for (const incidentId of accepted.keys()) {
        for (;;) {
          const status = await h.client.workflow.getHandle(workflowIdFor(incidentId)).query(statusQuery);
          if (status.deliveries >= PER_GROUP || Date.now() > deadline) {
            recorded += status.deliveries;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const duplicateResponses = [...accepted.values()].filter((runIds) => runIds.size > 1).length;
      const acceptedCount = iterations - refused;
      report('intake_per_s', iterations / apiSeconds, 'deliveries/s', {
        deliveries: iterations,
        groups,
        concurrency: CONCURRENCY,
      });
      report('raw_signal_with_start_per_s', iterations / rawSeconds, 'calls/s', {
        calls: iterations,
        groups,
        concurrency: CONCURRENCY,
      });
      report('intake_vs_raw_ratio', iterations / apiSeconds / (iterations / rawSeconds), 'ratio', { target: 0.8 });
      report('intake_lost', acceptedCount - recorded, 'deliveries', {
        accepted: acceptedCount,
        recorded,
        refused,
        target: 0,
      });
      report('intake_duplicate_responses', duplicateResponses, 'groups', { groups: accepted.size, target: 0 });
    } finally {
      // Bench cleanup: these responses would otherwise wait for approvals forever.
      for (const key of [...viaApi, ...viaRaw].filter((k, i, all) => all.indexOf(k) === i)) {
        await h.client.workflow
          .getHandle(workflowIdFor(incidentIdFor('alertmanager', key)))
          .terminate('benchmark over')
          .catch(() => undefined);
      }
      await gateway.stop();
      await h.stop();
      await target.close();
    }
  },
};
