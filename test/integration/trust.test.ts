import { generateKeyPairSync } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionSigner } from '../../src/api/auth/decision-signer.js';
import * as msg from '../../src/contracts/incident-response.js';
import * as g from '../../src/contracts/guardrails.js';
import type { Actor } from '../../src/domain/actor/actor.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Attacks on "nothing risky runs without the right person's consent", each through Temporal
 * directly (what anyone who reaches the namespace can do), each refused and audited.
 */
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

const named = (alertname: string, opts: Parameters<typeof restartPlaybook>[1], extra = '') =>
  restartPlaybook(target.url, { alertname, ...opts }).replace(
    'id: restart-replica\n',
    `id: ${alertname.toLowerCase()}\n${extra}`,
  );

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'lead.yaml': named('LeadOnly', { tier: 'lead' }),
      'quorum.yaml': named('Quorum', { approvers: 2 }),
      'team.yaml': named('TeamOwned', {}, 'team: payments\n'),
    },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const restarts = (tag: string) =>
  target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes(tag));
const lee: Actor = { id: 'lee', name: 'Lee Lead', channel: 'cli', roles: ['approver'], groups: ['lead'], teams: ['*'] };
const handleOf = (id: string) => h.client.workflow.getHandle(`incident-${id}`);
const rejectedOf = async (id: string) =>
  (await r.status(id)).timeline.filter((e: { type: string }) => e.type === 'input.rejected');

describe('going ahead needs a verified person', () => {
  it('a forged Temporal signal or update approving as the lead is refused and audited', async () => {
    const id = await r.open('forged-lead', { labels: { alertname: 'LeadOnly', incident_tag: 'forged-lead' } });
    const approval = await r.pendingApproval(id);
    const forged = {
      approvalId: approval.id,
      decision: 'approve' as const,
      reason: 'trust me, I am the lead',
      actor: lee,
    };
    await handleOf(id).signal(msg.decideSignal, forged);
    const update = handleOf(id).executeUpdate(msg.decideUpdate, { args: [forged] });
    await expect(update).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(update).rejects.toMatchObject({ cause: { type: 'Unverified' } });
    const rejected = await rejectedOf(id);
    expect(rejected.map((e: { summary: string }) => e.summary)).toEqual([
      expect.stringMatching(/^decide signal refused: decide needs a verified person/),
      expect.stringMatching(/^decide update refused: decide needs a verified person/),
    ]);
    expect(rejected[0].actor).toMatchObject({ id: 'lee', channel: 'temporal-ui' });
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    // The real lead, through the gateway, is taken.
    expect((await r.decide(id, approval.id, 'lee', { decision: 'approve', reason: 'checked it myself' })).status).toBe(
      200,
    );
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('forged-lead')).toHaveLength(1);
  });

  it('a quorum cannot be made of invented names', async () => {
    const id = await r.open('quorum', { labels: { alertname: 'Quorum', incident_tag: 'quorum-1' } });
    const approval = await r.pendingApproval(id);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'one of two' })).status).toBe(200);
    for (const ghost of ['ghost-1', 'ghost-2'])
      await handleOf(id).signal(msg.decideSignal, {
        approvalId: approval.id,
        decision: 'approve',
        reason: 'me too',
        actor: { id: ghost, name: ghost, channel: 'api', roles: ['approver'], groups: ['tier1'], teams: [] },
      });
    await r.until(id, (s) => s.timeline.filter((e: { type: string }) => e.type === 'input.rejected').length === 2);
    const s = await r.status(id);
    expect(s.approvals[0]).toMatchObject({ state: 'pending' });
    expect(s.approvals[0].decisions.map((d: { actor: { id: string } }) => d.actor.id)).toEqual(['bob']);
    expect(restarts('quorum-1')).toHaveLength(0);
    expect((await r.decide(id, approval.id, 'erin', { decision: 'approve', reason: 'two of two' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('quorum-1')).toHaveLength(1);
  });

  it('a signed decision replayed, expired, altered or signed by an unknown key is refused', async () => {
    const id = await r.open('replay', { labels: { alertname: 'LeadOnly', incident_tag: 'replay-1' } });
    const approval = await r.pendingApproval(id);
    const workflowId = `incident-${id}`;
    const reject = { approvalId: approval.id, decision: 'reject' as const, reason: 'not yet', actor: lee };
    const approve = { ...reject, decision: 'approve' as const, reason: 'go ahead' };
    const signedReject = { ...reject, attestation: h.signer.attest(lee, workflowId, 'decide', reject) };
    // Altered: signed for a rejection, sent as an approval.
    const altered = { ...approve, attestation: signedReject.attestation };
    const update = (arg: unknown) => handleOf(id).executeUpdate(msg.decideUpdate, { args: [arg as typeof reject] });
    await expect(update(altered)).rejects.toMatchObject({
      cause: { message: expect.stringContaining('signed for other content') },
    });
    // Unknown key: a pair the worker was never given.
    const foreign = createDecisionSigner({
      keyId: 'test-gateway',
      privateKey: generateKeyPairSync('ed25519').privateKey,
    });
    await expect(
      update({ ...approve, attestation: foreign.attest(lee, workflowId, 'decide', approve) }),
    ).rejects.toMatchObject({
      cause: { message: expect.stringContaining('signature does not verify') },
    });
    // Expired: signed ten minutes ago (the harness allows five).
    const late = createDecisionSigner({
      keyId: 'test-gateway',
      privateKey: h.signingKey,
      now: () => Date.now() - 10 * 60_000,
    });
    await expect(
      update({ ...approve, attestation: late.attest(lee, workflowId, 'decide', approve) }),
    ).rejects.toMatchObject({
      cause: { message: expect.stringContaining('the decision expired') },
    });
    // For another response: signed for this one, sent to it, but claiming another workflow.
    await expect(
      update({ ...approve, attestation: h.signer.attest(lee, 'incident-elsewhere', 'decide', approve) }),
    ).rejects.toMatchObject({ cause: { message: expect.stringContaining('another workflow') } });
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    // A good signed approval works once; the same bytes again are a replay.
    const signedApprove = { ...approve, attestation: h.signer.attest(lee, workflowId, 'decide', approve) };
    await update(signedApprove);
    expect((await r.result(id)).phase).toBe('completed');
    const again = await h.request('GET', `/v1/incidents/${id}`, { as: 'alice' });
    expect(again.body.approvals[0].decisions).toHaveLength(1);
    expect(again.body.approvals[0].decisions[0].actor).toMatchObject({ id: 'lee', verified: true });
    const rejected = await rejectedOf(id);
    expect(rejected.map((e: { summary: string }) => e.summary)).toEqual([
      expect.stringMatching(/decide update refused: decide refused: the decision was signed for other content/),
      expect.stringMatching(/signature does not verify/),
      expect.stringMatching(/the decision expired/),
      expect.stringMatching(/another workflow/),
    ]);
  });

  it('replaying a decision the gateway signed is refused (its nonce was used)', async () => {
    const id = await r.open('nonce', { labels: { alertname: 'Quorum', incident_tag: 'nonce-1' } });
    const approval = await r.pendingApproval(id);
    const bob: Actor = {
      id: 'bob',
      name: 'Bob Approver',
      channel: 'api',
      roles: ['approver'],
      groups: ['tier1'],
      teams: ['payments'],
    };
    const approve = { approvalId: approval.id, decision: 'approve' as const, reason: 'one of two', actor: bob };
    const signed = { ...approve, attestation: h.signer.attest(bob, `incident-${id}`, 'decide', approve) };
    await handleOf(id).executeUpdate(msg.decideUpdate, { args: [signed] });
    // The same signed decision again: not a second approver, and not a duplicate vote either.
    await expect(handleOf(id).executeUpdate(msg.decideUpdate, { args: [signed] })).rejects.toMatchObject({
      cause: { type: 'Unverified', message: expect.stringContaining('already used (replayed nonce)') },
    });
    expect((await r.status(id)).approvals[0].decisions).toHaveLength(1);
  });

  it('a person acts on their own team’s incidents; a refusal at the gateway is in the trail', async () => {
    const id = await r.open('team', { labels: { alertname: 'TeamOwned', incident_tag: 'team-1' } });
    const approval = await r.pendingApproval(id);
    // Erin is a tier1 approver on team search; this incident belongs to payments.
    const wrongTeam = await r.decide(id, approval.id, 'erin', { decision: 'approve', reason: 'helping out' });
    expect(wrongTeam.status).toBe(403);
    expect(wrongTeam.body.error.message).toBe('erin acts for teams search; this incident belongs to team payments');
    // An auditor trying to approve is stopped at the door (role): recorded too.
    expect((await r.decide(id, approval.id, 'audrey', { decision: 'approve', reason: 'why not' })).status).toBe(403);
    await r.until(id, (s) => s.timeline.filter((e: { type: string }) => e.type === 'input.rejected').length === 2);
    const rejected = await rejectedOf(id);
    // Both are reported without waiting for each other: in either order.
    const byActor = rejected
      .map((e: { actor: { id: string }; summary: string }) => [e.actor.id, e.summary])
      .sort((x: string[], y: string[]) => x[0]!.localeCompare(y[0]!));
    expect(byActor).toEqual([
      ['audrey', expect.stringMatching(/refused: the role\(s\) auditor may not do this/)],
      ['erin', expect.stringMatching(/decide refused: erin acts for teams search/)],
    ]);
    // Bob is on payments: taken.
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'my team' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
  });
});

describe('lifting guardrails is policy, enforced in the control workflow', () => {
  const control = () => h.client.workflow.getHandle(h.guardrailsWorkflowId);
  const guard = (method: string, path: string, body: Record<string, unknown>, as: 'ada' | 'alice' | 'bob') =>
    h.request(method, `/v1/guardrails${path}`, { as, body });

  it('a kill switch released from the CLI (unsigned) is refused and audited; the engager or an admin may', async () => {
    expect((await guard('POST', '/kill-switch', { reason: 'hold everything' }, 'alice')).status).toBe(200);
    try {
      const admin: Actor = { id: 'ada', name: 'Ada Admin', channel: 'cli', roles: ['admin'], groups: [], teams: [] };
      await expect(
        control().executeUpdate(g.releaseKillSwitchUpdate, { args: [{ reason: 'from the CLI', actor: admin }] }),
      ).rejects.toMatchObject({ cause: { type: 'Unverified' } });
      // Bob is a responder who did not engage it: the policy refuses him, through the gateway too.
      const bob = await guard('DELETE', '/kill-switch', { reason: 'I think it is fine' }, 'bob');
      expect(bob.status).toBe(403);
      expect(bob.body.error.message).toMatch(/bob may not lift this control/);
      expect((await control().query(g.controlsQuery)).killSwitch.engaged).toBe(true);
      // Refused updates are in the control workflow's trail, and searchable once indexed.
      const summaries = async () =>
        (
          await h.request('GET', '/v1/audit/search?type=input.rejected&q=refused&sort=newest&limit=200', {
            as: 'audrey',
          })
        ).body.events
          .filter((e: { workflowId: string }) => e.workflowId === h.guardrailsWorkflowId)
          .map((e: { summary: string }) => e.summary);
      await expect
        .poll(summaries, { timeout: 10_000, interval: 250 })
        .toEqual(
          expect.arrayContaining([
            expect.stringMatching(/releaseKillSwitch update refused: releaseKillSwitch needs a verified person/),
            expect.stringMatching(/bob may not lift this control/),
          ]),
        );
      // Alice engaged it: she may release it.
      expect((await guard('DELETE', '/kill-switch', { reason: 'all clear' }, 'alice')).status).toBe(200);
    } finally {
      await guard('DELETE', '/kill-switch', { reason: 'cleanup' }, 'ada');
    }
  });

  it('a pause removed from the CLI (unsigned) stays; an admin through the gateway removes it', async () => {
    const pause = await guard(
      'POST',
      '/pauses',
      { selector: { service: 'nothing-here' }, reason: 'maintenance' },
      'ada',
    );
    expect(pause.status).toBe(201);
    const pauseId = pause.body.pauses.at(-1).id;
    const admin: Actor = { id: 'ada', name: 'Ada Admin', channel: 'cli', roles: ['admin'], groups: [], teams: [] };
    await expect(
      control().executeUpdate(g.removeControlUpdate, {
        args: [{ kind: 'pause', id: pauseId, reason: 'from the CLI', actor: admin }],
      }),
    ).rejects.toMatchObject({ cause: { type: 'Unverified' } });
    expect((await control().query(g.controlsQuery)).pauses.map((p) => p.id)).toContain(pauseId);
    expect((await guard('DELETE', `/pauses/${pauseId}`, { reason: 'done' }, 'ada')).status).toBe(200);
    expect((await control().query(g.controlsQuery)).pauses.map((p) => p.id)).not.toContain(pauseId);
  });
});
