import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { ensureStack, PROFILES, type StackProfile } from '../../scripts/stack/index.js';
import { ensureTimeSkippingServer } from '../../scripts/stack/test-server.js';
import { createAuditStore } from '../../src/clients/opensearch/audit-store.js';
import {
  payloadConverterPath,
  webpackConfigHook,
  workflowInterceptorModules,
  workflowsPath,
} from '../../src/worker/workflow-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    opensearchUrl: string;
    workflowBundlePath: string;
    auditIndexPrefix: string;
    /** Executable starting Temporal's time-skipping test server on a given port (test/support/time-skipping.ts). */
    timeSkippingServerPath: string;
    /** The stack profile the suite runs on (INTERLOCK_STACK_PROFILE: test, or cluster-test). */
    stackProfile: StackProfile['name'];
    /** Replicas of each audit index on this stack (1 on the two-node cluster). */
    auditIndexReplicas: number;
    /** Every OpenSearch node's URL (one on the test profile). */
    opensearchNodeUrls: string[];
  }
}

export const AUDIT_INDEX_PREFIX = 'audit-events';

/**
 * `test` (the Temporal dev server and one OpenSearch node) unless INTERLOCK_STACK_PROFILE names
 * another: `npm run test:cluster` runs the same suite on `cluster-test` (PostgreSQL, the real
 * Temporal server, two OpenSearch nodes).
 */
function stackProfile(): StackProfile {
  const name = process.env.INTERLOCK_STACK_PROFILE ?? 'test';
  if (name !== 'test' && name !== 'cluster-test')
    throw new Error(`INTERLOCK_STACK_PROFILE=${name}: the suite runs on test or cluster-test`);
  return PROFILES[name];
}

/**
 * Start (or reuse) the test stack on its own ports, and bundle the workflow code once for every
 * test file instead of once per worker.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const log = (msg: string) => console.log(`[stack] ${msg}`);
  const profile = stackProfile();
  const replicas = profile.cluster?.auditIndexReplicas ?? 0;
  // The time-skipping server is only provisioned here, not started: each file that uses it
  // starts its own, because skipped time is global to a server.
  const [stackResult, timeSkippingResult] = await Promise.allSettled([
    ensureStack(profile.name, log),
    ensureTimeSkippingServer(log),
  ]);
  if (stackResult.status === 'rejected') throw stackResult.reason;
  const stack = stackResult.value;
  if (timeSkippingResult.status === 'rejected') {
    await stack.stop();
    throw timeSkippingResult.reason;
  }
  const timeSkipping = timeSkippingResult.value;
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    webpackConfigHook,
    payloadConverterPath,
    workflowInterceptorModules,
    logger: quietLogger,
  });
  const bundlePath = path.join(os.tmpdir(), `interlock-workflows-${process.pid}.js`);
  fs.writeFileSync(bundlePath, code);
  await createAuditStore(new OpenSearchClient({ node: stack.opensearch.url }), AUDIT_INDEX_PREFIX, {
    replicas,
  }).installTemplate();
  console.log(`[stack] ${profile.name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  project.provide('temporalAddress', stack.temporal.address);
  project.provide('opensearchUrl', stack.opensearch.url);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('auditIndexPrefix', AUDIT_INDEX_PREFIX);
  project.provide('timeSkippingServerPath', timeSkipping.wrapperPath);
  project.provide('stackProfile', profile.name);
  project.provide('auditIndexReplicas', replicas);
  project.provide(
    'opensearchNodeUrls',
    stack.cluster ? stack.cluster.opensearchNodes.map((n) => n.url) : [stack.opensearch.url],
  );

  return async () => {
    fs.rmSync(bundlePath, { force: true });
    await stack.stop();
  };
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};
