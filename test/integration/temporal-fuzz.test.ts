import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlsSchema } from '../../src/domain/guardrails/controls-schema.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Every signal and update of both workflows, sent straight through the Temporal client with
 * malformed payloads, as the Temporal UI and CLI would send them (no gateway in between, no
 * signature). A handler that throws the wrong kind of error fails the workflow task, and such a
 * response is stuck until a deploy: the property is 0 failed workflow tasks and responses that
 * still answer, still hold their state and still run when a real person decides.
 */
const RUNS = Number(process.env.TEMPORAL_FUZZ_RUNS ?? 400);

const INCIDENT_SIGNALS = [
  'alert',
  'decide',
  'optOut',
  'optIn',
  'override',
  'addNote',
  'resolve',
  'refusedInput',
  'stopRequest',
  'controlsChanged',
];
const INCIDENT_UPDATES = ['decide', 'optOut', 'optIn', 'override', 'addNote', 'resolve'];
const GUARDRAIL_SIGNALS = ['standingRules', 'refusedChange'];
const GUARDRAIL_UPDATES = [
  'engageKillSwitch',
  'releaseKillSwitch',
  'addPause',
  'addRule',
  'addFreeze',
  'removeControl',
];

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let sentinel: string;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  r = responses(h);
  sentinel = await r.open('temporal-fuzz');
  await r.pendingApproval(sentinel);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Values of every JSON shape, plus near misses of real inputs with one field of the wrong type. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, 0, -1, 1e308, '', 'approve', [], {}, { __proto__: { verified: true } }, { actor: null }),
  fc.record({
    approvalId: fc.oneof(fc.constant('restart-replica-1'), fc.jsonValue({ maxDepth: 1 })),
    decision: fc.oneof(fc.constantFrom('approve', 'reject', 'object'), fc.jsonValue({ maxDepth: 1 })),
    reason: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
    actor: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({ id: fc.jsonValue({ maxDepth: 1 }), name: fc.string(), channel: fc.string() }),
    ),
    attestation: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })),
  }),
  fc.record({
    selector: fc.jsonValue({ maxDepth: 2 }),
    reason: fc.oneof(fc.string(), fc.integer()),
    expiresAt: fc.oneof(fc.string(), fc.integer(), fc.constant('2020-01-01T00:00:00Z')),
    kind: fc.string(),
    id: fc.jsonValue({ maxDepth: 1 }),
  }),
);
const message = fc.record({
  workflow: fc.constantFrom('incident', 'guardrails'),
  kind: fc.constantFrom('signal', 'update'),
  pick: fc.nat(),
  args: fc.array(junk, { maxLength: 3 }),
});

/** Payloads no SDK client would encode: bytes that are not what their encoding says. */
const RAW_PAYLOADS: Array<{ label: string; payload: temporal.api.common.v1.IPayload }> = [
  { label: 'broken JSON', payload: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":') } },
  { label: 'unknown encoding', payload: { metadata: { encoding: Buffer.from('x-unknown') }, data: Buffer.from('x') } },
  { label: 'no metadata', payload: { data: Buffer.from('{}') } },
  {
    label: 'binary as JSON',
    payload: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from([0xff, 0, 0xfe]) },
  },
];

async function failedWorkflowTasks(workflowId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return history
    .events!.filter((e) => e.workflowTaskFailedEventAttributes)
    .map((e) => {
      const failure = e.workflowTaskFailedEventAttributes!.failure;
      return `${failure?.message ?? 'no message'} ${failure?.stackTrace?.split('\n')[1] ?? ''}`;
    });
}

describe('signals and updates through the Temporal client, malformed', () => {
  it(`${RUNS} malformed messages: 0 failed workflow tasks, 0 stuck responses, state intact`, async () => {
    const incidentId = `incident-${sentinel}`;
    const handles = {
      incident: h.client.workflow.getHandle(incidentId),
      guardrails: h.client.workflow.getHandle(h.guardrailsWorkflowId),
    };
    const before = await r.status(sentinel);
    const controlsBefore = await handles.guardrails.query('controls');
    const unexpected: string[] = [];

    const samples = fc.sample(message, { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 7) });
    for (let i = 0; i < samples.length; i += 10) {
      await Promise.all(
        samples.slice(i, i + 10).map(async (m) => {
          const names =
            m.workflow === 'incident'
              ? m.kind === 'signal'
                ? INCIDENT_SIGNALS
                : INCIDENT_UPDATES
              : m.kind === 'signal'
                ? GUARDRAIL_SIGNALS
                : GUARDRAIL_UPDATES;
          const name = names[m.pick % names.length]!;
          const handle = handles[m.workflow as 'incident' | 'guardrails'];
          try {
            if (m.kind === 'signal') await handle.signal(name, ...m.args);
            else await handle.executeUpdate(name, { args: m.args as [unknown] });
          } catch (err) {
            // A refused update is the right answer; anything else (a timeout: the handler never
            // finished, an internal error) is a finding.
            if (!(err instanceof WorkflowUpdateFailedError) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
              unexpected.push(
                `${m.workflow} ${m.kind} ${name}: ${(err as Error).message} ${(err as Error).cause ?? ''}`,
              );
          }
        }),
      );
    }
    // Bytes no SDK would send, to every signal of the response.
    for (const name of INCIDENT_SIGNALS)
      for (const { label, payload } of RAW_PAYLOADS)
        await h.client.workflowService
          .signalWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId: incidentId },
            signalName: name,
            input: { payloads: [payload] },
            identity: 'temporal-fuzz',
          })
          .catch((err: Error) => unexpected.push(`raw ${label} to ${name}: ${err.message}`));

    // Let the last signals be processed, then read everything back.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await failedWorkflowTasks(incidentId)).toEqual([]);
    expect(await failedWorkflowTasks(h.guardrailsWorkflowId)).toEqual([]);
    expect(unexpected).toEqual([]);

    const after = await r.status(sentinel);
    expect(after.phase).toBe(before.phase);
    expect([after.approvals[0].state, after.approvals[0].decisions]).toEqual([
      before.approvals[0].state,
      before.approvals[0].decisions,
    ]);
    expect([after.optOuts, after.overrides]).toEqual([before.optOuts, before.overrides]);
    expect(await handles.guardrails.query('controls')).toEqual(controlsBefore);

    // Not stuck: a real decision still runs the mitigation to the end.
    const decided = await r.decide(sentinel, 'restart-replica-1', 'bob', { decision: 'approve', reason: 'after fuzz' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    await r.until(sentinel, (s) => s.phase === 'completed', 30_000);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
    expect(await failedWorkflowTasks(incidentId)).toEqual([]);
  }, 300_000);

  it('genuine broadcasts pass the check that refuses malformed ones (every kind of control)', async () => {
    const id = await r.open('temporal-fuzz-genuine');
    await r.pendingApproval(id);
    const as = { as: 'ada' as const };
    const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
    const posts: Array<[string, Record<string, unknown>]> = [
      ['/pauses', { selector: { service: 'nothing-here' }, reason: 'quiet period', expiresAt: soon(600_000) }],
      ['/rules', { selector: { service: 'nothing-here' }, effect: 'approval', tier: 'lead', reason: 'extra care' }],
      ['/freezes', { start: soon(-1000), end: soon(600_000), selector: { service: 'nothing-here' }, reason: 'freeze' }],
      ['/kill-switch', { reason: 'checking the broadcast shape' }],
    ];
    for (const [path, body] of posts)
      expect((await h.request('POST', `/v1/guardrails${path}`, { ...as, body })).status).toBeLessThan(300);
    const controls = await h.client.workflow.getHandle(h.guardrailsWorkflowId).query('controls');
    expect(controlsSchema.safeParse(controls).error).toBeUndefined();
    expect((await h.request('DELETE', '/v1/guardrails/kill-switch', { ...as, body: { reason: 'done' } })).status).toBe(
      200,
    );
    // Every broadcast reached the response as valid controls: none was refused as malformed.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const refused = (await r.status(id)).timeline.filter((e: any) => /controls broadcast/.test(e.summary ?? ''));
    expect(refused).toEqual([]);
  });
});
