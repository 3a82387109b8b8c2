/**
 * `npm run safety -- --runs N [--concurrency C] [--seed S]`
 * The safety property test alone, at scale: N random scenarios against the real workflow on the
 * test stack (started or reused like `npm test`), C at a time. Prints each violation with its
 * scenario, then what the runs exercised ({"metric": "safety_inputs", ...}: each input kind, sent and
 * acknowledged) and, as its last line, {"metric": "safety_violations", "value": <count>, "runs": N, "errors": E}.
 * Exits 1 when any run found a violation or could not be carried out (a run that errors proves
 * nothing, so it must not pass as one that held), 0 only when every run completed and held.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureStack, StackError } from './stack/index.js';
import { startInterlock } from '../test/support/interlock.js';
import { startTargetServer } from '../test/support/target-server.js';
import {
  MITIGATION_MS,
  runScenario,
  safetyPlaybooks,
  scenarioArbitrary,
  type InputTally,
} from '../test/safety/scenario.js';
import {
  payloadConverterPath,
  webpackConfigHook,
  workflowsPath,
  workflowInterceptorModules,
} from '../src/worker/workflow-bundle.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '6' },
    seed: { type: 'string' },
  },
});
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('--runs and --concurrency must be positive whole numbers');
  process.exit(2);
}
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
console.error(`[safety] seed ${seed} (rerun the same scenarios with --seed ${seed})`);

const stack = await ensureStack('test', (m) => console.error(`[stack] ${m}`)).catch((err: unknown) => {
  console.error(err instanceof StackError ? `safety: ${err.message}` : err);
  process.exit(1);
});
const { code } = await bundleWorkflowCode({
  workflowsPath,
  webpackConfigHook,
  payloadConverterPath,
  workflowInterceptorModules,
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
});
const bundlePath = path.join(os.tmpdir(), `interlock-safety-${process.pid}.js`);
fs.writeFileSync(bundlePath, code);
const target = await startTargetServer();
target.respondAfter('/mitigations/restart', MITIGATION_MS);
// One Interlock (worker, gateway, control workflow) per lane: the kill switch is global to an
// Interlock, so lanes sharing one would switch each other's automation off.
const lanes = await Promise.all(
  Array.from({ length: concurrency }, () =>
    startInterlock(
      {
        temporalAddress: stack.temporal.address,
        opensearchUrl: stack.opensearch.url,
        auditIndexPrefix: 'audit-events',
        workflowBundlePath: bundlePath,
      },
      { playbooks: safetyPlaybooks(target.url) },
    ),
  ),
);

const scenarios = fc.sample(scenarioArbitrary, { numRuns: runs, seed });
let violations = 0;
let errors = 0;
const tally: InputTally = {};
let done = 0;
let next = 0;
const started = Date.now();
async function worker(interlock: (typeof lanes)[number]) {
  while (next < scenarios.length) {
    const scenario = scenarios[next++]!;
    try {
      const found = await runScenario(interlock, target, scenario, tally);
      if (found.length) {
        violations += found.length;
        console.error(`VIOLATION ${JSON.stringify({ scenario, found })}`);
      }
    } catch (err) {
      // A run that could not be carried out is not evidence either way: say so, and fail the command.
      errors++;
      console.error(`RUN ERROR ${JSON.stringify({ scenario, error: (err as Error).message })}`);
    }
    if (++done % 50 === 0)
      console.error(
        `[safety] ${done}/${runs} runs, ${violations} violations, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
  }
}
try {
  await Promise.all(lanes.map(worker));
} finally {
  await Promise.all(lanes.map((l) => l.stop()));
  await target.close();
  fs.rmSync(bundlePath, { force: true });
  await stack.stop();
}
console.error(
  `[safety] seed ${seed}, ${runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s, ${violations} violations, ${errors} runs errored`,
);
// What the runs exercised: each input kind, sent and acknowledged (refusals are part of the test).
console.log(JSON.stringify({ metric: 'safety_inputs', value: tally }));
console.log(JSON.stringify({ metric: 'safety_violations', value: violations, runs, errors, seed }));
process.exit(violations === 0 && errors === 0 ? 0 : 1);
