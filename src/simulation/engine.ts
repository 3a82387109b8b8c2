import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WorkflowUpdateFailedError } from '@temporalio/client';
// CommonJS: Node's ESM loader only sees its default export.
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { SearchAttributeType } from '@temporalio/common';
import { ensureTimeSkippingServer } from '../../scripts/stack/test-server.js';
import { createDecisionSigner } from '../api/auth/decision-signer.js';
import {
  alertSignal,
  decideUpdate,
  INCIDENT_RESPONSE_WORKFLOW,
  optInUpdate,
  optOutUpdate,
  statusQuery,
} from '../contracts/incident-response.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../contracts/search-attributes.js';
import type { Actor } from '../domain/actor/actor.js';
import type { AuditEvent } from '../domain/audit/event.js';
import { workflowIdFor } from '../domain/incident/incident-id.js';
import type { ResponseStatus } from '../domain/response/status.js';
import { selectPlaybook } from '../domain/playbook/playbook.js';
import type { Trust } from '../domain/trust/rules.js';
import { createIncidentWorker } from '../worker/create-worker.js';
import { payloadConverterPath } from '../worker/workflow-bundle.js';
import { simulationBundles } from './bundles.js';
import { createPeopleActivities } from './people-activities.js';
import { recordingDependencies, type GuardrailRecord, type PageRecord } from './recorders.js';
import { checkScenario, type Scenario } from './scenario.js';
import { defaultWhen, type ScriptedAction } from './script.js';
import { buildReport, type InputRecord, type SimulationReport } from './report.js';
import { cueSignal, finishSignal } from './workflow/people.js';

const ASKING = new Set(['approval.requested', 'approval.reminder', 'approval.escalated', 'objection.window-opened']);
const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED: Record<string, number> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export interface SimulationOptions {
  /** The time-skipping server's executable (default: provisioned by scripts/stack/test-server.ts). */
  serverPath?: string;
  /** A prebuilt bundle of src/workflows (tests build one per run); otherwise bundled once into the cache. */
  workflowBundlePath?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/** The SDK's runtime, quiet: a simulation prints its report, not the worker's chatter. */
function installQuietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      // The test server lacks a capability core warns about at every worker start.
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Already installed (a test process): keep it.
  }
}

/** The test server's Java logging setup complains on stderr at every start: keep a report readable. */
function quietServer(wrapper: string): string {
  const file = path.join(os.tmpdir(), `interlock-simulation-server-${process.getuid?.() ?? 0}.sh`);
  const script = `#!/bin/sh\nexec '${wrapper.replaceAll("'", `'\\''`)}' "$@" 2>/dev/null\n`;
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== script) {
    fs.writeFileSync(`${file}.${process.pid}`, script, { mode: 0o755 });
    fs.renameSync(`${file}.${process.pid}`, file);
  }
  return file;
}

/**
 * Run the real incidentResponse workflow for one scenario on a time-skipping server of its own,
 * with recorders for everything that would touch the world, and the scripted people answering
 * at simulated times. Needs no gateway, OpenSearch or network.
 */
export async function simulate(scenario: Scenario, options: SimulationOptions = {}): Promise<SimulationReport> {
  const problems = checkScenario(scenario);
  if (problems.length)
    throw new Error(`invalid scenario: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const wallStart = performance.now();
  const log = options.log ?? (() => undefined);
  installQuietRuntime();
  const serverPath = quietServer(options.serverPath ?? (await ensureTimeSkippingServer(log)).wrapperPath);
  const bundles = await simulationBundles(log, !options.workflowBundlePath);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: serverPath } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, INDEXED[k.type]!])),
    });
    return await run(
      env,
      scenario,
      { ...options, workflowBundlePath: options.workflowBundlePath ?? bundles.incident! },
      bundles.people,
      wallStart,
    );
  } finally {
    await env.teardown();
  }
}

async function run(
  env: TestWorkflowEnvironment,
  scenario: Scenario,
  options: SimulationOptions,
  peopleBundle: string,
  wallStart: number,
): Promise<SimulationReport> {
  // Simulated time = the server's time + offsetMs (set once the workers are ready, see below).
  const clock = { offsetMs: 0 };
  const simNow = async () => (await env.currentTimeMs()) + clock.offsetMs;

  // The gateway's role: sign each scripted input for its person, with a key only this run holds.
  const key = generateKeyPairSync('ed25519');
  let signedAt = 0;
  const signer = createDecisionSigner({ keyId: 'simulation', privateKey: key.privateKey, now: () => signedAt });
  const trust: Trust = {
    keys: { simulation: Buffer.from(key.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex') },
    maxAgeMs: 300_000,
    trustTemporalIdentity: false,
    lift: { roles: ['admin'], engager: true },
  };

  const incidentId = scenario.alert.incidentId;
  const workflowId = workflowIdFor(incidentId);
  const peopleWorkflowId = `simulated-people-${incidentId}`;
  const handle = env.client.workflow.getHandle(workflowId);
  const people = env.client.workflow.getHandle(peopleWorkflowId);
  const byId = new Map(scenario.people.map((p) => [p.id, p]));
  const inputs: InputRecord[] = [];
  const cues = new Map<number, () => Promise<void>>();
  const fired = new Set<string>();
  // Why and when (simulated) the simulation stopped a response that had not ended.
  let stopped: ((why: string, at: number) => void) | undefined;
  let stoppedAt: number | undefined;
  const stop = new Promise<string>(
    (resolve) =>
      (stopped = (why, at) => {
        stoppedAt ??= at;
        resolve(why);
      }),
  );

  const actorFor = (who: string): Actor => {
    const p = byId.get(who)!;
    return { id: p.id, name: p.name, channel: 'api', roles: p.roles, groups: p.groups, teams: p.teams ?? [] };
  };

  /** One scripted input, signed and sent as the gateway would; a refusal is part of the story. */
  async function act(index: number, approvalId?: string): Promise<void> {
    const a = scenario.script.people[index]!;
    const actor = actorFor(a.who);
    const reason = a.reason ?? `${a.does} (simulated ${a.who})`;
    const at = await simNow();
    signedAt = at - clock.offsetMs;
    const record: InputRecord = { at: new Date(at).toISOString(), who: a.who, does: a.does, step: a.step, approvalId };
    inputs.push(record);
    try {
      if (a.does === 'approve' || a.does === 'reject') {
        const arg = { approvalId: approvalId!, decision: a.does, reason, inputs: a.set, actor };
        const attestation = signer.attest(actor, workflowId, decideUpdate.name, arg);
        const signed = { ...arg, attestation };
        await handle.executeUpdate(decideUpdate, { args: [signed] });
      } else if (a.does === 'opt-out') {
        const scope = a.scope === 'step' ? { kind: 'step' as const, stepId: a.step! } : { kind: 'response' as const };
        const arg = { reason, scope, mode: a.mode ?? 'halt-now', actor };
        const attestation = signer.attest(actor, workflowId, optOutUpdate.name, arg);
        const signed = { ...arg, attestation };
        await handle.executeUpdate(optOutUpdate, { args: [signed] });
      } else {
        const arg = { reason, actor };
        const attestation = signer.attest(actor, workflowId, optInUpdate.name, arg);
        const signed = { ...arg, attestation };
        await handle.executeUpdate(optInUpdate, { args: [signed] });
      }
      record.outcome = 'accepted';
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
      record.outcome = 'refused';
      record.refusal = (cause as Error)?.message ?? String(cause);
    }
  }

  async function cue(afterMs: number, thunk: () => Promise<void>): Promise<void> {
    const id = cues.size;
    cues.set(id, thunk);
    await people.signal(cueSignal, { id, afterMs });
  }

  const script = scenario.script.people.map((a, i) => ({ a, i, when: defaultWhen(a) }));
  const matches = (a: ScriptedAction, stepId?: string) => !a.step || a.step === stepId;

  const { deps, recordings } = recordingDependencies(
    {
      // The real selection: an alert the playbook does not match opens a response with no playbook.
      playbook: { refresh: () => undefined, select: (labels) => selectPlaybook([scenario.playbook], labels) },
      policy: () => scenario.policy,
      roster: scenario.roster,
      standingRules: scenario.standingRules ?? [],
      trust,
    },
    {
      get offsetMs() {
        return clock.offsetMs;
      },
      members: (tier) => scenario.people.filter((p) => p.groups.includes(tier)).map((p) => p.id),
      async onPage(page: PageRecord) {
        if (!ASKING.has(page.kind) || !page.approvalId) return;
        for (const { a, i, when } of script) {
          const key = `${i}:${page.approvalId}`;
          if (when !== 'paged' || !page.people.includes(a.who) || !matches(a, page.stepId) || fired.has(key)) continue;
          fired.add(key);
          // Sent before this activity completes, so the server cannot skip past it meanwhile.
          await cue(a.after ?? 0, () => act(i, page.approvalId));
        }
      },
      async onStepStarted(stepId) {
        const due = script.filter(
          ({ a, i, when }) => when === 'step-started' && a.step === stepId && !fired.has(`${i}`),
        );
        for (const { i } of due) {
          fired.add(`${i}`);
          await act(i);
        }
        return due.length > 0;
      },
      onBlocked: (record: GuardrailRecord) =>
        stopped?.(`blocked by a standing rule: ${record.blockers.join('; ')}`, Date.parse(record.at)),
    },
  );

  const taskQueue = `simulation-${incidentId}`;
  const incidentWorker = await createIncidentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    dependencies: deps,
    workflowBundlePath: options.workflowBundlePath,
  });
  const peopleWorker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: `${taskQueue}-people`,
    workflowBundle: { codePath: peopleBundle },
    dataConverter: { payloadConverterPath },
    activities: createPeopleActivities({
      act: (id) => cues.get(id)!(),
      horizon: () =>
        stopped?.(`still open after ${scenario.horizonMs / 3_600_000} h of simulated time`, start + scenario.horizonMs),
    }),
  });
  const running = [incidentWorker.run(), peopleWorker.run()];
  // The server's clock started at the wall clock and only moves forward: a later start is
  // reached by skipping, an earlier one is a fixed shift applied to every time read or reported.
  let serverNow = await env.currentTimeMs();
  const start = scenario.start?.getTime() ?? serverNow;
  if (start > serverNow) {
    await env.sleep(start - serverNow);
    serverNow = await env.currentTimeMs();
  }
  clock.offsetMs = start - serverNow;
  const simulationStart = performance.now();
  let endedAt = start;
  let ending = 'ended';
  let simulationEnd = 0;
  let status: ResponseStatus | undefined;
  let timeline: AuditEvent[] = [];
  try {
    await env.client.workflow.start('simulatedPeople', {
      workflowId: peopleWorkflowId,
      taskQueue: `${taskQueue}-people`,
      args: [scenario.horizonMs],
    });
    await env.client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [{ incidentId }],
      signal: alertSignal,
      signalArgs: [{ ...scenario.alert, receivedAt: new Date(start).toISOString() }],
    });
    // After the start, so an input due at once finds the response; time stands still until the
    // result is awaited below.
    for (const { a, i, when } of script) if (when === 'opened') await cue(a.after ?? 0, () => act(i));
    // Awaiting the result through the time-skipping client lets the server jump timer to timer.
    ending = await Promise.race([handle.result().then(() => 'ended'), stop]);
    status = await handle.query(statusQuery);
    endedAt = stoppedAt ?? (await simNow());
    timeline = await fullTimeline(handle, status);
  } finally {
    simulationEnd = performance.now();
    await people.signal(finishSignal).catch(() => undefined);
    await handle.terminate('simulation over').catch(() => undefined);
    await people.terminate('simulation over').catch(() => undefined);
    incidentWorker.shutdown();
    peopleWorker.shutdown();
    await Promise.allSettled(running);
  }
  // A response that ended did so at its last event (the server may have skipped on since).
  const last = timeline.at(-1);
  if (ending === 'ended' && last) endedAt = Date.parse(last.time) + clock.offsetMs;
  return buildReport({
    scenario,
    status,
    ending,
    timeline,
    offsetMs: clock.offsetMs,
    recordings,
    inputs,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    wallMs: Math.round(performance.now() - wallStart),
    simulationWallMs: Math.round(simulationEnd - simulationStart),
  });
}

/** Every event the response holds, oldest first (the status view pages them, newest page first). */
async function fullTimeline(
  handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>,
  first: ResponseStatus,
): Promise<AuditEvent[]> {
  const pages: AuditEvent[][] = [];
  let before: number | undefined;
  let page: ResponseStatus = await handle.query(statusQuery, { limit: 500 });
  for (;;) {
    pages.unshift(page.timeline);
    before = page.timelinePage?.nextBefore;
    if (before === undefined) break;
    page = await handle.query(statusQuery, { limit: 500, before });
  }
  return pages.flat().length ? pages.flat() : first.timeline;
}
