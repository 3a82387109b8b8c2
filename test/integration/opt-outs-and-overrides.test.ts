import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
const pidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-shell-'));

beforeAll(async () => {
  target = await startTargetServer();
  // Restarts take 1.5 s and then succeed, unless interrupted; verification answers at once.
  target.respondAfter('/mitigations/restart', 1500);
  target.respondAfter('/diagnostics/slow', 1500);
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url, { extraStep: true, compensation: true }),
      // Its diagnostic takes 1.5 s, leaving time to override the automatic step after it.
      'auto.yaml': restartPlaybook(target.url, { alertname: 'AutoRestart', policy: '{ mode: auto }', extraStep: true })
        .replace('id: restart-replica\n', 'id: auto-restart\n')
        .replace('/diagnostics/lag', '/diagnostics/slow'),
      'shell.yaml': `
id: shell-runbook
version: 1
match: { labels: { alertname: RunbookCommand } }
steps:
  - id: run-runbook
    kind: mitigation
    action: shell.command
    params:
      command: ["/bin/sh", "-c", 'echo $$ > "${pidDir}/$1.pid"; sleep 60', "sh", "{{labels.incident_tag}}"]
      timeout: 90s
    policy: { mode: auto }
`,
    },
    // The org lets playbooks decide here (a step's own policy is the floor).
    policy: 'default: { mode: auto }',
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const hits = (p: string, tag: string) =>
  target.received.filter((x) => x.path === p && (x.body.includes(tag) || x.path.includes(tag)));
const verifies = () => target.requestsTo('/verify/lag').length;

async function approveAndWaitForRestart(id: string, tag: string) {
  const approval = await r.pendingApproval(id);
  expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' })).status).toBe(200);
  await target.waitFor(() => hits('/mitigations/restart', tag).length === 1);
  return hits('/mitigations/restart', tag)[0]!;
}

describe('opt-out modes', () => {
  it('finish-current-step lets the running mitigation complete, runs nothing after, and opt-in resumes', async () => {
    const id = await r.open('finish', { labels: { incident_tag: 'finish-1' } });
    const request = await approveAndWaitForRestart(id, 'finish-1');
    const before = verifies();
    const res = await r.post(id, 'opt-out', 'alice', {
      reason: 'let it finish, then hands off',
      mode: 'finish-current-step',
    });
    expect(res.status).toBe(200);
    expect(res.body.optOut).toMatchObject({
      id: 'optout-1',
      mode: 'finish-current-step',
      scope: { kind: 'response' },
      active: true,
    });
    await r.until(id, (s) => s.phase === 'opted-out');
    expect(request).toMatchObject({ answered: true, aborted: false });
    expect(verifies()).toBe(before);

    const optIn = await r.post(id, 'opt-in', 'bob', { reason: 'drill over, resume' });
    expect(optIn.status).toBe(200);
    expect(optIn.body.released).toEqual([expect.objectContaining({ id: 'optout-1', active: false })]);
    expect((await r.result(id)).phase).toBe('completed');
    expect(verifies()).toBe(before + 1);
    const s = await r.status(id);
    expect(s.steps.map((x: any) => x.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(r.types(s)).toEqual(expect.arrayContaining(['optout.engaged', 'optout.released']));
  });

  it('hand-over keeps the response open for a person, records notes, and runs nothing until resolved', async () => {
    const id = await r.open('handover', { labels: { incident_tag: 'handover-1' } });
    await r.pendingApproval(id);
    const res = await r.post(id, 'opt-out', 'alice', { reason: 'I will take this one manually', mode: 'hand-over' });
    expect(res.status).toBe(200);
    const s1 = await r.until(id, (s) => s.phase === 'handed-over');
    expect(s1.approvals[0].state).toBe('withdrawn');
    expect(s1.handover.owner).toMatchObject({ id: 'alice' });
    expect((await r.post(id, 'notes', 'alice', { text: 'restarted replica by hand at 10:42' })).status).toBe(201);
    expect((await r.post(id, 'notes', 'alice', { text: '' })).status).toBe(400);
    // The withdrawn request can no longer be approved.
    expect((await r.decide(id, s1.approvals[0].id, 'bob', { decision: 'approve', reason: 'go ahead' })).status).toBe(
      409,
    );
    expect((await r.post(id, 'resolve', 'alice', { summary: 'lag gone after manual restart' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('resolved');
    const s = await r.status(id);
    expect(s.handover.notes).toEqual([expect.objectContaining({ text: 'restarted replica by hand at 10:42' })]);
    expect(hits('/mitigations/restart', 'handover-1')).toHaveLength(0);
    expect(s.steps.map((x: any) => x.state)).toEqual(['succeeded', 'skipped', 'skipped']);
  });

  it('a step opt-out skips only that step; the rest of the playbook runs', async () => {
    const id = await r.open('step-optout', { labels: { incident_tag: 'step-1' } });
    await r.pendingApproval(id);
    const before = verifies();
    expect(
      (
        await r.post(id, 'opt-out', 'alice', {
          reason: 'not this restart',
          scope: { kind: 'step', stepId: 'restart-replica' },
        })
      ).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.steps.map((x: any) => x.state)).toEqual(['succeeded', 'skipped', 'succeeded']);
    expect(verifies()).toBe(before + 1);
    expect(hits('/mitigations/restart', 'step-1')).toHaveLength(0);
  });

  it('an action-type opt-out skips every step of that action', async () => {
    const id = await r.open('action-optout', { labels: { incident_tag: 'action-1' } });
    await r.pendingApproval(id);
    expect(
      (
        await r.post(id, 'opt-out', 'alice', {
          reason: 'no HTTP actions today',
          scope: { kind: 'action', action: 'http.request' },
        })
      ).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect((await r.status(id)).steps.map((x: any) => x.state)).toEqual(['succeeded', 'skipped', 'skipped']);
  });

  it('refuses unknown steps, bad scopes and opt-ins with nothing to release', async () => {
    const id = await r.open('bad-optout', { labels: { incident_tag: 'bad-1' } });
    await r.pendingApproval(id);
    const unknownStep = await r.post(id, 'opt-out', 'alice', {
      reason: 'typo',
      scope: { kind: 'step', stepId: 'nope' },
    });
    expect(unknownStep.status).toBe(404);
    expect(unknownStep.body.error.message).toMatch(/no step "nope"/);
    expect((await r.post(id, 'opt-out', 'alice', { reason: 'weird', scope: { kind: 'planet' } })).status).toBe(400);
    expect((await r.post(id, 'opt-out', 'alice', { reason: 'weird', mode: 'later' })).status).toBe(400);
    expect((await r.post(id, 'opt-in', 'alice', { reason: 'nothing to release' })).status).toBe(404);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});

describe('overrides', () => {
  it('skip-step: the mitigation never runs', async () => {
    const id = await r.open('skip', { labels: { incident_tag: 'skip-1' } });
    await r.pendingApproval(id);
    const res = await r.post(id, 'overrides', 'alice', {
      type: 'skip-step',
      stepId: 'restart-replica',
      reason: 'replica being rebuilt',
    });
    expect(res.status).toBe(201);
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.steps[1]).toMatchObject({ state: 'skipped', note: 'skipped by override' });
    expect(s.overrides).toEqual([
      expect.objectContaining({
        type: 'skip-step',
        actor: expect.objectContaining({ id: 'alice' }),
        reason: 'replica being rebuilt',
      }),
    ]);
    expect(hits('/mitigations/restart', 'skip-1')).toHaveLength(0);
  });

  it('set-inputs changes what runs (within bounds) and voids the pending request; out of bounds is refused', async () => {
    const id = await r.open('set-inputs', { labels: { incident_tag: 'inputs-1' } });
    const first = await r.pendingApproval(id);
    const bad = await r.post(id, 'overrides', 'alice', {
      type: 'set-inputs',
      stepId: 'restart-replica',
      inputs: { instance: 'db-9' },
      reason: 'other replica',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/instance: must be one of db-1, db-2/);
    expect(
      (
        await r.post(id, 'overrides', 'alice', {
          type: 'set-inputs',
          stepId: 'restart-replica',
          inputs: { instance: 'db-2' },
          reason: 'db-1 is the healthy one',
        })
      ).status,
    ).toBe(201);
    const second = await r.until(id, (s) => s.approvals.length === 2 && s.approvals[1].state === 'pending');
    expect(second.approvals[0]).toMatchObject({ id: first.id, state: 'withdrawn' });
    expect(second.approvals[1].inputs).toMatchObject({ instance: 'db-2' });
    expect((await r.decide(id, first.id, 'bob', { decision: 'approve', reason: 'old request' })).status).toBe(409);
    expect(
      (await r.decide(id, second.approvals[1].id, 'bob', { decision: 'approve', reason: 'go with db-2' })).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(JSON.parse(hits('/mitigations/restart', 'inputs-1')[0]!.body)).toMatchObject({ instance: 'db-2' });
  });

  it('require-approval turns an automatic step into one that waits for a person', async () => {
    const id = await r.open('require', { labels: { alertname: 'AutoRestart', incident_tag: 'require-1' } });
    await r.until(id, (s) => s.steps.length > 0); // the playbook is chosen; its diagnostic is running
    const res = await r.post(id, 'overrides', 'alice', {
      type: 'require-approval',
      stepId: 'restart-replica',
      tier: 'lead',
      reason: 'big customer online',
    });
    expect(res.status).toBe(201);
    const approval = await r.pendingApproval(id);
    expect(approval).toMatchObject({ tier: 'lead', context: { policySource: 'per-incident override' } });
    expect(hits('/mitigations/restart', 'require-1')).toHaveLength(0);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});

describe('emergency stop', () => {
  it('interrupts the running step and runs declared compensations newest-first, ending CANCELED', async () => {
    target.holdOpen('/verify/lag');
    try {
      const id = await r.open('compensate', { labels: { incident_tag: 'comp-1' } });
      const approval = await r.pendingApproval(id);
      await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' });
      await r.until(id, (s) => s.steps[2].state === 'running'); // the restart succeeded; verification hangs
      const undoBefore = target.requestsTo('/mitigations/undo-restart').length;
      expect((await r.post(id, 'cancel', 'alice', { reason: 'wrong cluster entirely' })).status).toBe(202);
      const failure = await r.result(id).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const undo = target.requestsTo('/mitigations/undo-restart').slice(undoBefore);
      expect(undo.map((u) => JSON.parse(u.body))).toEqual([{ instance: 'db-1' }]);
      const s = await r.status(id);
      expect(s.phase).toBe('cancelled');
      expect(r.types(s)).toEqual(expect.arrayContaining(['response.cancelled', 'mitigation.compensated']));
      expect(target.requestsTo('/verify/lag').at(-1)!.aborted).toBe(true);
    } finally {
      target.respondAfter('/verify/lag', 0);
    }
  });

  it('kills a running shell.command process group on opt-out', async () => {
    const id = await r.open('shell', { labels: { alertname: 'RunbookCommand', incident_tag: 'shell-1' } });
    const pidFile = path.join(pidDir, 'shell-1.pid');
    await r.until(id, () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect((await r.post(id, 'opt-out', 'alice', { reason: 'stop that script' })).status).toBe(200);
    const s = await r.until(id, (x) => x.steps[0].state === 'cancelled');
    expect(s.phase).toBe('opted-out');
    // Gone (or a zombie awaiting reaping by init): either way no longer running.
    const alive = () => {
      try {
        process.kill(pid, 0);
        return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(false);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });
});
