import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { MITIGATION_MS, runScenario, safetyPlaybooks, scenarioArbitrary, type InputTally } from '../safety/scenario.js';

/**
 * CI runs 40 scenarios, drawn from a new seed every run so that, run after run, CI explores new
 * ones; `npm run safety -- --runs N` runs thousands. The seed is printed: SAFETY_SEED=<seed>
 * replays exactly the same scenarios (fast-check also prints the seed and path of a failure).
 */
const RUNS = Number(process.env.SAFETY_RUNS ?? 40);
const SEED =
  process.env.SAFETY_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.SAFETY_SEED);
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new Error(`SAFETY_RUNS must be a positive whole number, not ${process.env.SAFETY_RUNS}`);
if (!Number.isInteger(SEED)) throw new Error(`SAFETY_SEED must be a whole number, not ${process.env.SAFETY_SEED}`);

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
      console.log(`[safety] ${RUNS} scenarios, seed ${SEED} (SAFETY_SEED=${SEED} SAFETY_RUNS=${RUNS} replays them)`);
      const tally: InputTally = {};
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary, async (scenario) => {
          expect((await runScenario(h, target, scenario, tally)).join('\n')).toBe('');
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // Controls are always in the caller's power (an admin, a well-formed body): each one sent
      // must have been taken, or the runs did not exercise what they claim to.
      for (const kind of ['killSwitch', 'pause', 'freeze'] as const)
        expect(tally[kind]?.accepted ?? 0).toBe(tally[kind]?.sent ?? 0);
    },
    RUNS * 15_000,
  );
});
