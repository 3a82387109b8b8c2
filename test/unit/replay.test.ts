import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bundlerOptions,
  payloadConverterPath,
  workflowInterceptorModules,
  workflowsPath,
} from '../../src/worker/workflow-bundle.js';
import { workflowSpanSink } from '../../src/worker/create-worker.js';
import { historyFromJsonObject } from '../support/history-json.js';

/**
 * Deploy safety: the recorded histories of real responses (scripts/record-histories.ts) must
 * replay against the workflow code as it is now. A change that would make a running response
 * take a different path (a new or reordered activity, timer or condition) fails here, before it
 * reaches a worker that has responses in flight. No server needed: replay runs in-process.
 */

const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/** The responses every deploy must keep replaying; the file names are the scenario names. */
const REQUIRED = [
  'approved',
  'rejected',
  'opted-out',
  'escalated',
  'kill-switch',
  'cancelled-with-compensation',
  'dry-run',
  'guardrails',
];

interface Fixture {
  /** The recorded set (a folder named by the commit its workflows came from). */
  set: string;
  file: string;
  scenario: string;
  covers: string;
  workflowType: string;
  workflowId: string;
  status: string;
  history: unknown;
}

/**
 * One folder per recorded set: the responses of an older deploy (which may still be running
 * when a new one starts) and those of the code since (e.g. past a `patched()` branch).
 */
const sets = fs
  .readdirSync(FIXTURES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const fixtures: Fixture[] = sets.flatMap((set) =>
  fs
    .readdirSync(path.join(FIXTURES_DIR, set))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      set,
      file,
      ...(JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, set, file), 'utf8')) as Omit<Fixture, 'set' | 'file'>),
    })),
);

const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  // The replay worker's state changes at INFO would bury the result; warnings (a nondeterminism
  // error is one) still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // The same workflow code the worker runs: same entry point, bundler options and interceptors
  // (the tracing ones are active only in runs started traced; none of these was).
  const replays = Worker.runReplayHistories(
    {
      workflowsPath,
      bundlerOptions,
      interceptors: { workflowModules: workflowInterceptorModules },
      dataConverter: { payloadConverterPath },
      sinks: { exporter: workflowSpanSink(undefined) },
    },
    fixtures.map((f) => ({ workflowId: f.workflowId, history: historyFromJsonObject(f.history) })),
  );
  for await (const result of replays) results.set(result.workflowId, result);
}, 180_000);

describe('recorded histories replay against the current workflow code', () => {
  it('has every required scenario in each recorded set, each of an ended workflow', () => {
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      const inSet = fixtures.filter((f) => f.set === set);
      expect(inSet.map((f) => f.scenario).sort(), `set ${set}`).toEqual(expect.arrayContaining([...REQUIRED].sort()));
    }
    for (const f of fixtures) {
      expect(f.file).toBe(`${f.scenario}.json`);
      expect(['incidentResponse', 'guardrails']).toContain(f.workflowType);
      // Responses ended by themselves or by an emergency stop; the control workflow never ends
      // by itself, so its recording was terminated.
      expect(f.workflowType === 'guardrails' ? ['TERMINATED'] : ['COMPLETED', 'CANCELLED']).toContain(f.status);
    }
    expect(new Set(fixtures.map((f) => f.workflowId)).size).toBe(fixtures.length);
  });

  it.each(fixtures.map((f) => [`${f.set}/${f.scenario}`, f] as const))('%s', (_name, fixture) => {
    const result = results.get(fixture.workflowId);
    expect(result, `no replay result for ${fixture.file}`).toBeDefined();
    // A failure names the fixture and the SDK's reason (e.g. "[TMPRL1100] Nondeterminism error: …").
    expect(result!.error?.message, `${fixture.set}/${fixture.file} (${fixture.covers})`).toBeUndefined();
  });
});
