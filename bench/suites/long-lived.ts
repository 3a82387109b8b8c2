import { addNoteSignal, alertSignal, INCIDENT_RESPONSE_WORKFLOW } from '../../src/contracts/incident-response.js';
import type { ContinueAsNewLimits } from '../../src/domain/response/long-lived.js';
import { normalizeAlertmanager } from '../../src/domain/incident/alertmanager.js';
import { incidentIdFor, workflowIdFor } from '../../src/domain/incident/incident-id.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startInterlock,
  uniqueGroupKey,
  type Interlock,
} from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { report } from '../metrics.js';

const ALICE = {
  id: 'alice',
  name: 'Alice Responder',
  channel: 'temporal-ui' as const,
  roles: ['responder' as const],
  groups: [],
  teams: [],
};

/**
 * What continue-as-new and the paged timeline buy: one response waiting for approval takes
 * `iterations` notes (default 2,000) once with a bound of 500 events per run and once with
 * the production defaults (10,000 events: one run). Figures: the longest run's history, the
 * number of runs, and the status view's size beside what every event would weigh.
 */
export const longLivedSuite: BenchSuite = {
  description: 'history length per run and status payload size, with and without continue-as-new',
  async run({ stack, iterations = 2000 }) {
    const target = await startTargetServer();
    const h = await startInterlock(stack, {
      playbooks: { 'restart.yaml': restartPlaybook(target.url, { approvalTimeout: '30m' }) },
    });
    try {
      for (const [label, limits] of [
        ['bounded', { events: 500 }],
        ['default', undefined],
      ] as const) {
        const figures = await flood(h, label, iterations, limits);
        const extra = { notes: iterations, bound: limits?.events ?? 'default' };
        report(`long_lived_${label}_max_run_history_events`, figures.maxRunEvents, 'events', extra);
        report(`long_lived_${label}_runs`, figures.runs, 'runs', extra);
        report(`long_lived_${label}_status_bytes`, figures.statusBytes, 'bytes', extra);
        report(`long_lived_${label}_unpaged_timeline_bytes`, figures.unpagedBytes, 'bytes', extra);
      }
    } finally {
      await h.stop();
      await target.close();
    }
  },
};

async function flood(h: Interlock, label: string, notes: number, limits: ContinueAsNewLimits | undefined) {
  const r = responses(h);
  const webhook = alertmanagerWebhook(uniqueGroupKey(`bench-long-${label}`));
  const incidentId = incidentIdFor('alertmanager', webhook.groupKey);
  const workflowId = workflowIdFor(incidentId);
  await h.client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
    workflowId,
    taskQueue: h.taskQueue,
    args: [{ incidentId, ...(limits ? { continueAsNewAfter: limits } : {}) }],
    signal: alertSignal,
    signalArgs: [normalizeAlertmanager(webhook as never, incidentId, new Date())],
  });
  const asked = await r.pendingApproval(incidentId);
  const handle = h.client.workflow.getHandle(workflowId);
  // Bursts of 100 notes, 8 in flight, 200 ms apart. (An unbroken flood delays the switch: Temporal
  // refuses to close a run while signals keep arriving during its workflow task.)
  for (let sent = 0; sent < notes;) {
    const burst = Math.min(100, notes - sent);
    let next = sent;
    sent += burst;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < sent) await handle.signal(addNoteSignal, { actor: ALICE, text: `bench note ${next++}` });
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const settled = await r.until(incidentId, (s) => s.timelinePage?.total >= notes + 6, 300_000);
  const statusBytes = Buffer.byteLength(JSON.stringify(settled));
  await r.decide(incidentId, asked.id, 'bob', { decision: 'reject', reason: 'benchmark over' });
  await r.result(incidentId);
  // Every run's history length, from Temporal itself (not visibility, which may lag).
  let maxRunEvents = 0;
  let runs = 0;
  for (
    let runId: string | undefined = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
    runId;
  ) {
    const run = h.client.workflow.getHandle(workflowId, runId);
    const history = await run.fetchHistory();
    maxRunEvents = Math.max(maxRunEvents, history.events?.length ?? 0);
    runs += 1;
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  const unpagedBytes = Buffer.byteLength(JSON.stringify(await h.audit.incidentEvents(incidentId)));
  return { maxRunEvents, runs, statusBytes, unpagedBytes };
}
