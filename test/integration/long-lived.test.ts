import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  addNoteSignal,
  addNoteUpdate,
  alertSignal,
  INCIDENT_RESPONSE_WORKFLOW,
} from '../../src/contracts/incident-response.js';
import { normalizeAlertmanager } from '../../src/domain/incident/alertmanager.js';
import { incidentIdFor, workflowIdFor } from '../../src/domain/incident/incident-id.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * A response that takes thousands of inputs continues as new (a fresh run under the same
 * workflow ID) and goes on as if nothing happened: the same approval request, its deadline,
 * every input recorded once, one unbroken audit chain, and a status view that stays small.
 */

/** The status view (with its default page of the timeline) stays under this, however long the response lives. */
const STATUS_BOUND_BYTES = 128 * 1024;
/** Low, so a test reaches it after a few hundred inputs (production: Temporal's suggestion or 10,000). */
const CONTINUE_AFTER_EVENTS = 300;
const NOTES = 1500;
/** A person as the Temporal UI or CLI declares one (taken as declared, marked unverified: a note lets nothing proceed). */
const ALICE = {
  id: 'alice',
  name: 'Alice Responder',
  channel: 'temporal-ui' as const,
  roles: ['responder' as const],
  groups: [],
  teams: [],
};
/** Every fifth note goes as an update (half through the API): its caller must get an answer even across a switch of runs. */
const UPDATE_EVERY = 10;

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url, { approvalTimeout: '30m' }) },
    rateLimitPerMinute: 100_000,
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Open a response as the gateway would, but with a low continue-as-new bound. */
async function openLongLived(label: string): Promise<string> {
  const webhook = alertmanagerWebhook(uniqueGroupKey(label));
  const incidentId = incidentIdFor('alertmanager', webhook.groupKey);
  await h.client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
    workflowId: workflowIdFor(incidentId),
    taskQueue: h.taskQueue,
    args: [{ incidentId, continueAsNewAfter: { events: CONTINUE_AFTER_EVENTS } }],
    signal: alertSignal,
    signalArgs: [normalizeAlertmanager(webhook as never, incidentId, new Date())],
  });
  return incidentId;
}

/** Run `count` tasks with at most `width` in flight. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * An update the server admitted but the workflow had not accepted when its workflow task failed
 * (a flood of signals overflowing the server's buffer, or a continue-as-new completion refused
 * because signals arrived meanwhile) is aborted, not applied: resent with the same update ID it
 * takes effect once. (One aborted because the run continued as new, the client retries by itself.)
 */
let resent = 0;
let timedOut = 0;
const apiNote = (id: string, text: string, key: string) =>
  h.request('POST', `/v1/incidents/${id}/notes`, { as: 'alice', body: { text }, headers: { 'idempotency-key': key } });
async function updateOnce<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const text = `${(err as Error).message} ${String((err as Error).cause ?? '')}`;
      if (attempt >= 5 || !/unexpected workflow task failure/.test(text)) throw err;
      resent += 1;
    }
  }
}

describe('a long-lived response', () => {
  it('continues as new under thousands of inputs, then approves and runs with its state and audit chain intact', async () => {
    const id = await openLongLived('long-lived');
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const asked = await r.pendingApproval(id);
    const firstRunId = (await handle.describe()).runId;

    // Notes from a person working the incident, as signals (the Temporal UI, the CLI) and as
    // updates; sent while runs switch, none may be lost or recorded twice.
    const actor = { ...ALICE };
    let updatesAnswered = 0;
    await inParallel(NOTES, 8, async (i) => {
      const note = { actor, text: `note ${i}: checked replica lag by hand` };
      if (i % UPDATE_EVERY === 0) {
        // Through the gateway, which resends an aborted update itself (src/api/workflow-inputs.ts);
        // a 504 (the gateway's 10 s deadline, on two loaded cores) is resent with the same key,
        // as the CLI does: it takes effect once.
        const key = `note-${i}-${id}`;
        let res = await apiNote(id, note.text, key);
        for (let attempt = 1; res.status === 504 && attempt < 5; attempt++) {
          timedOut += 1;
          res = await apiNote(id, note.text, key);
        }
        expect(res.status).toBe(201);
        updatesAnswered += 1;
      } else if (i % UPDATE_EVERY === 5) {
        await updateOnce(() => handle.executeUpdate(addNoteUpdate, { args: [note], updateId: `note-${id}-${i}` }));
        updatesAnswered += 1;
      } else await handle.signal(addNoteSignal, note);
    });
    expect(updatesAnswered).toBe((2 * NOTES) / UPDATE_EVERY);
    console.log(JSON.stringify({ updates_resent_after_task_failure: resent, api_notes_resent_after_504: timedOut }));

    // Every note is in the trail (the status page's total counts the whole chain).
    const settled = await r.until(id, (s) => s.timelinePage?.total >= NOTES + 5, 120_000);
    expect(settled.runs).toBeGreaterThanOrEqual(1);
    const latest = await handle.describe();
    expect(latest.runId).not.toBe(firstRunId);
    expect(latest.raw.workflowExecutionInfo?.firstRunId).toBe(firstRunId);
    // Each run stayed near the bound (it continues at its next rest once past it).
    const runs = await vi.waitFor(
      async () => {
        const listed = [];
        for await (const run of h.client.workflow.list({ query: `WorkflowId = "${workflowIdFor(id)}"` }))
          listed.push(run);
        expect(listed.length).toBe(settled.runs + 1);
        return listed;
      },
      { timeout: 10_000, interval: 200 },
    );
    console.log(JSON.stringify({ history_events_per_run: runs.map((run) => run.historyLength) }));
    for (const run of runs) expect(run.historyLength).toBeLessThan(CONTINUE_AFTER_EVENTS * 3);

    // The same request, taken up by the new run: same ID, tier, deadline; nobody asked again.
    expect(settled.phase).toBe('awaiting-approval');
    const pending = settled.approvals.filter((a: any) => a.state === 'pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ id: asked.id, tier: asked.tier, expiresAt: asked.expiresAt });
    expect(pending[0].notified).toHaveLength(asked.notified.length);

    // Small, whatever the history: a page of the timeline, never every event.
    const view = await h.request('GET', `/v1/incidents/${id}`, { as: 'alice' });
    const size = Buffer.byteLength(JSON.stringify(view.body));
    console.log(JSON.stringify({ status_bytes: size, events: view.body.timelinePage.total, runs: settled.runs + 1 }));
    expect(size).toBeLessThan(STATUS_BOUND_BYTES);
    expect(view.body.timeline).toHaveLength(100);

    // The decision goes to the newest run through the same API, and the mitigation runs once.
    const decided = await r.decide(id, asked.id, 'bob', { decision: 'approve', reason: 'lag is real, restart it' });
    expect(decided.status).toBe(200);
    expect(await r.result(id)).toMatchObject({ phase: 'completed', stepsRun: ['check-lag', 'restart-replica'] });
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);

    // One chain across every run: each sequence once, every note once, and verification agrees.
    const events = await h.audit.incidentEvents(id);
    // What the status view would weigh if it still carried every event.
    console.log(JSON.stringify({ unpaged_timeline_bytes: Buffer.byteLength(JSON.stringify(events)) }));
    expect(new Set(events.map((e) => e.eventId.slice(0, e.eventId.lastIndexOf(':'))))).toEqual(
      new Set([`${workflowIdFor(id)}:${firstRunId}`]),
    );
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const notes = events.filter((e) => e.type === 'response.note').map((e) => e.reason);
    expect(notes).toHaveLength(NOTES);
    expect(new Set(notes).size).toBe(NOTES);
    expect(events.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('response.completed');
    const verify = await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' });
    expect(verify.body).toMatchObject({ intact: true, head: { checked: true } });

    // Every run replays against the code (the switch, the frozen wait, the carried start, and the
    // decision in the last run). Each under the workflow ID it ran with: a signed decision names
    // its workflow, and a replay under any other ID would refuse it (and so diverge).
    const histories = [];
    for (let runId: string | undefined = firstRunId; runId;) {
      const history = await h.client.workflow.getHandle(workflowIdFor(id), runId).fetchHistory();
      histories.push({ workflowId: workflowIdFor(id), history });
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(histories).toHaveLength(settled.runs + 1);
    const replays = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    );
    let run = 0;
    for await (const replay of replays)
      expect(replay.error?.message, `run ${++run} of ${histories.length}`).toBeUndefined();
    expect(run).toBe(histories.length);
  }, 300_000);

  it('pages its timeline through the API: the newest page first, older pages by cursor, none skipped or repeated', async () => {
    const id = await openLongLived('paged');
    await r.pendingApproval(id);
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const actor = { ...ALICE };
    await inParallel(400, 16, (i) => handle.signal(addNoteSignal, { actor, text: `paged note ${i}` }));
    const settled = await r.until(id, (s) => s.timelinePage?.total >= 405, 60_000);
    const total: number = settled.timelinePage.total;
    // The status view's own pages (what the workflow holds).
    const page = (await h.request('GET', `/v1/incidents/${id}?timelineLimit=10`, { as: 'alice' })).body;
    expect(page.timeline).toHaveLength(10);
    expect(page.timeline.at(-1).sequence).toBe(page.timelinePage.total);
    const before = (
      await h.request('GET', `/v1/incidents/${id}?timelineLimit=10&timelineBefore=${page.timelinePage.nextBefore}`, {
        as: 'alice',
      })
    ).body;
    expect(before.timeline.at(-1).sequence).toBe(page.timeline[0].sequence - 1);
    expect((await h.request('GET', `/v1/incidents/${id}?timelineLimit=5000`, { as: 'alice' })).status).toBe(400);
    // The stored trail, paged by cursor down to the first event (once all of it is indexed).
    await vi.waitFor(async () => expect((await h.audit.incidentEvents(id)).length).toBeGreaterThanOrEqual(total), {
      timeout: 20_000,
      interval: 200,
    });
    let cursor: string | undefined;
    const seen: number[] = [];
    do {
      const res = await h.request('GET', `/v1/incidents/${id}/timeline?limit=150${cursor ? `&before=${cursor}` : ''}`, {
        as: 'audrey',
      });
      expect(res.status).toBe(200);
      seen.unshift(...res.body.events.map((e: any) => e.sequence));
      cursor = res.body.nextBefore;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(total);
    expect(seen).toEqual(seen.map((_, i) => i + 1));
    expect((await h.request('GET', `/v1/incidents/${id}/timeline?before=nonsense`, { as: 'audrey' })).status).toBe(400);
    await r.decide(id, settled.approvals[0].id, 'bob', { decision: 'reject', reason: 'not needed any more' });
    expect(await r.result(id)).toMatchObject({ phase: 'completed' });
  }, 180_000);

  it('continues as new while handed over, keeps the newest notes and their count, and resumes after opt-in', async () => {
    const id = await openLongLived('handed-over');
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const firstRunId = (await handle.describe()).runId;
    await r.pendingApproval(id);
    const handover = await r.post(id, 'opt-out', 'alice', {
      reason: 'I will take this one by hand',
      mode: 'hand-over',
    });
    expect(handover.status, JSON.stringify(handover.body)).toBe(200);
    await r.until(id, (s) => s.phase === 'handed-over');
    await inParallel(400, 8, (i) => handle.signal(addNoteSignal, { actor: ALICE, text: `by hand ${i}` }));
    const held = await r.until(id, (s) => s.handover?.notesTotal === 400 && s.runs >= 1, 60_000);
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    expect(held.phase).toBe('handed-over');
    expect(held.handover.owner.id).toBe('alice');
    expect(held.handover.notes.length).toBeLessThanOrEqual(100);
    expect(held.handover.notes.at(-1).text).toMatch(/^by hand \d+$/);
    // Released in the newest run: automation decides the step again and asks anew.
    const optIn = await r.post(id, 'opt-in', 'alice', { reason: 'back to automation' });
    expect(optIn.status, JSON.stringify(optIn.body)).toBe(200);
    const asked = await r.until(id, (s) => s.approvals.some((a: any) => a.state === 'pending' && a.notified?.length));
    const pending = asked.approvals.find((a: any) => a.state === 'pending');
    expect(pending.id).toBe('restart-replica-2');
    expect(
      (await r.decide(id, pending.id, 'bob', { decision: 'approve', reason: 'lag confirmed, restart it' })).status,
    ).toBe(200);
    expect(await r.result(id)).toMatchObject({ phase: 'completed', stepsRun: ['check-lag', 'restart-replica'] });
    const verify = await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' });
    expect(verify.body).toMatchObject({ intact: true, head: { checked: true } });
  }, 180_000);

  it('never continues as new while a mitigation runs, however far past its bound', async () => {
    target.respondAfter('/mitigations/restart', 8_000);
    const id = await openLongLived('mitigating');
    const handle = h.client.workflow.getHandle(workflowIdFor(id));
    const firstRunId = (await handle.describe()).runId;
    const asked = await r.pendingApproval(id);
    const before = target.requestsTo('/mitigations/restart').length;
    expect(
      (await r.decide(id, asked.id, 'bob', { decision: 'approve', reason: 'lag confirmed, restart it' })).status,
    ).toBe(200);
    await target.waitFor(() => target.requestsTo('/mitigations/restart').length > before);
    // Past the bound while the request is out: the run must not switch under it.
    await inParallel(400, 8, (i) => handle.signal(addNoteSignal, { actor: ALICE, text: `during ${i}` }));
    const during = await r.status(id);
    expect(during.steps.find((s: any) => s.id === 'restart-replica').state).toBe('running');
    expect((await handle.describe()).historyLength).toBeGreaterThan(CONTINUE_AFTER_EVENTS);
    expect((await handle.describe()).runId).toBe(firstRunId);
    // It ends with the mitigation's own result, in the one run, having sent it once.
    expect(await r.result(id)).toMatchObject({ phase: 'completed', stepsRun: ['check-lag', 'restart-replica'] });
    expect((await handle.describe()).runId).toBe(firstRunId);
    expect(target.requestsTo('/mitigations/restart').length).toBe(before + 1);
    const final = await r.status(id);
    expect(final.steps.find((s: any) => s.id === 'restart-replica').state).toBe('succeeded');
  }, 180_000);
});
