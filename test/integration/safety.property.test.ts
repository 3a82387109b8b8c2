import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { MITIGATION_MS, runScenario, safetyPlaybooks, scenarioArbitrary } from '../safety/scenario.js';

/** CI runs a modest number; `npm run safety -- --runs N` runs thousands. */
const RUNS = Number(process.env.SAFETY_RUNS ?? 12);

let target: TargetServer;
let h: Harness;

beforeAll(async () => {
  target = await startTargetServer();
  target.respondAfter('/mitigations/restart', MITIGATION_MS);
  h = await startHarness({ playbooks: safetyPlaybooks(target.url) });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('the safety rule, as a property over random inputs and timings', () => {
  it(
    `holds for ${RUNS} random scenarios: nothing runs without consent or after an opt-out took effect`,
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary, async (scenario) => {
          expect((await runScenario(h, target, scenario)).join('\n')).toBe('');
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    },
    RUNS * 15_000,
  );
});
