import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { devDecisionKeys, startApps, waitForApps, type AppProcess } from '../../scripts/stack/apps.js';
import { freePort } from './net.js';

export interface AppFleet {
  apps: AppProcess[];
  gateways: AppProcess[];
  workers: AppProcess[];
  client: Client;
  connection: Connection;
  stop(): Promise<void>;
}

/**
 * Interlock as it runs in production, beside the test stack: worker and gateway processes
 * (scripts/stack/apps.ts) on one task queue, with the given playbooks, no organisation-wide
 * policy (each playbook's own approval applies) and development decision keys. For tests that
 * kill or count processes; everything else uses the in-process harness (interlock.ts).
 */
export async function startAppFleet(options: {
  name: string;
  taskQueue: string;
  playbooks: Record<string, string>;
  workers: number;
  gateways: number;
  env?: Record<string, string>;
}): Promise<AppFleet> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `interlock-${options.name}-`));
  const playbooks = path.join(workDir, 'playbooks');
  fs.mkdirSync(playbooks);
  for (const [file, text] of Object.entries(options.playbooks)) fs.writeFileSync(path.join(playbooks, file), text);
  const policy = path.join(workDir, 'policy.yaml');
  fs.writeFileSync(policy, '{}\n');
  const ports = await Promise.all(Array.from({ length: options.workers + options.gateways }, () => freePort()));
  const apps = startApps({
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      // Every node of the stack's OpenSearch (one on the test profile, two on cluster-test).
      OPENSEARCH_URL: inject('opensearchNodeUrls').join(','),
      AUDIT_INDEX_PREFIX: inject('auditIndexPrefix'),
      AUDIT_INDEX_REPLICAS: String(inject('auditIndexReplicas')),
      PLAYBOOKS_DIR: playbooks,
      POLICY_FILE: policy,
      GUARDRAILS_WORKFLOW_ID: `guardrails-${options.taskQueue}`,
      LOG_LEVEL: 'warn',
      ...devDecisionKeys(path.join(workDir, 'keys')),
      ...options.env,
    },
    workerHttpPorts: ports.slice(0, options.workers),
    gatewayPorts: ports.slice(options.workers),
    logSuffix: options.name,
  });
  const stopApps = async () => {
    await Promise.all(apps.map((a) => a.stop()));
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  const ready = await waitForApps(apps, {
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue: options.taskQueue,
  });
  if (!ready) {
    const logs = apps.map((a) => a.logFile).join(', ');
    await stopApps();
    throw new Error(`workers or gateways not ready; logs: ${logs}`);
  }
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return {
    apps,
    gateways: apps.filter((a) => a.kind === 'gateway'),
    workers: apps.filter((a) => a.kind === 'worker'),
    connection,
    client: new Client({ connection }),
    async stop() {
      await stopApps();
      await connection.close();
    },
  };
}
