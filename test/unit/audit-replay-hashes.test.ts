import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import { bundlerOptions, payloadConverterPath, workflowsPath } from '../../src/worker/workflow-bundle.js';
import { historyFromJsonObject, type History } from '../support/history-json.js';

/**
 * Audit events are hashed in workflow state and indexed by an activity: a response recorded by
 * an older deploy, replayed by this code, must rebuild exactly the events (and hashes) it already
 * stored, or every event it records next links to a hash the store never had. Replay alone does
 * not show this (activity arguments are not compared), so this compares them: each recorded
 * `indexAuditEvents` argument against what the current code schedules when replaying the history.
 */
const SCENARIOS = [
  'approved',
  'rejected',
  'opted-out',
  'escalated',
  'kill-switch',
  'cancelled-with-compensation',
  'dry-run',
  'guardrails',
];
const FIXTURES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const fixtures = fs
  .readdirSync(FIXTURES)
  .flatMap((set) => SCENARIOS.map((file) => path.join(FIXTURES, set, `${file}.json`)).filter(fs.existsSync))
  .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as { workflowId: string; history: unknown });

/** What each recorded history scheduled as audit indexing: the events, as the older code built them. */
function recordedIndexing(history: History): AuditEvent[] {
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === 'indexAuditEvents')
    .flatMap((a) => defaultPayloadConverter.fromPayload<AuditEvent[]>(a!.input!.payloads![0]!));
}

const replayed = new Map<string, AuditEvent[]>();

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const replays = Worker.runReplayHistories(
    {
      workflowsPath,
      bundlerOptions,
      interceptors: { workflowModules: [require.resolve('../support/capture-activities-interceptor.ts')] },
      dataConverter: { payloadConverterPath },
      sinks: {
        capture: {
          activity: {
            fn: (info, type: string, args: unknown[]) => {
              if (type !== 'indexAuditEvents') return;
              const list = replayed.get(info.workflowId) ?? [];
              list.push(...(args[0] as AuditEvent[]));
              replayed.set(info.workflowId, list);
            },
            callDuringReplay: true,
          },
        },
      },
    },
    fixtures.map((f) => ({ workflowId: f.workflowId, history: historyFromJsonObject(f.history) })),
  );
  for await (const result of replays) if (result.error) throw result.error;
}, 180_000);

describe('recorded responses replayed by the current code', () => {
  it.each(fixtures.map((f) => [f.workflowId, f] as const))(
    '%s rebuilds the audit events it stored, hashes included',
    (_id, f) => {
      const recorded = recordedIndexing(historyFromJsonObject(f.history));
      expect(recorded.length).toBeGreaterThan(0);
      expect(replayed.get(f.workflowId)).toEqual(recorded);
    },
  );
});
