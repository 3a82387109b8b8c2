import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { MITIGATION_MS, runScenario, safetyPlaybooks, scenarioArbitrary, type InputTally } from '../safety/scenario.js';

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
      const tally: InputTally = {};
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary, async (scenario) => {
          expect((await runScenario(h, target, scenario, tally)).join('\n')).toBe('');
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      // Controls are always in the caller's power (an admin, a well-formed body): each one sent
      // must have been taken, or the runs did not exercise what they claim to.
      for (const kind of ['killSwitch', 'pause', 'freeze'] as const) expect(tally[kind]?.accepted ?? 0).toBe(tally[kind]?.sent ?? 0);
    },
    RUNS * 15_000,
  );
});
