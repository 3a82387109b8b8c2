import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Who is asked is part of the record: each request says, in its status and in the audit trail,
 * who was on call, through which channel, when, and whether it arrived. A tier with nobody on
 * call is an escalation at once, never a silent wait; at the end of the chain it is said aloud.
 */
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      // "night" has a rotation with nobody in it; tier1 always has bob.
      'night.yaml': restartPlaybook(target.url, { alertname: 'Night', tier: 'night', escalation: ['tier1'] }).replace(
        'id: restart-replica\n',
        'id: night\n',
      ),
      'empty.yaml': restartPlaybook(target.url, { alertname: 'Empty', tier: 'night' }).replace(
        'id: restart-replica\n',
        'id: empty\n',
      ),
    },
    onCall: rotationFileSchema.parse({
      tiers: {
        night: { timeZone: 'UTC', layers: [] },
        tier1: {
          timeZone: 'UTC',
          layers: [{ name: 'all', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob'] }],
        },
      },
    }),
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('on-call routing', () => {
  it('records who was asked, where and whether it arrived, in status and audit', async () => {
    const id = await r.open('recorded', { labels: { alertname: 'Night' } });
    const approval = await vi.waitFor(
      async () => {
        const a = (await r.status(id)).approvals[0];
        expect(a?.notified?.length).toBe(2);
        return a;
      },
      { timeout: 10_000, interval: 100 },
    );
    // Nobody on call for "night": escalated to tier1 at once, not after its 5-minute timeout.
    expect(approval).toMatchObject({ tier: 'tier1', tiers: ['night', 'tier1'], escalationLevel: 1, state: 'pending' });
    expect(approval.notified).toEqual([
      {
        kind: 'approval.requested',
        at: expect.any(String),
        tier: 'night',
        people: [],
        deliveries: [{ channel: 'webhook', to: '*', ok: true, at: expect.any(String) }],
      },
      {
        kind: 'approval.escalated',
        at: expect.any(String),
        tier: 'tier1',
        people: ['bob'],
        deliveries: [{ channel: 'webhook', to: '*', ok: true, at: expect.any(String) }],
      },
    ]);
    const s = await r.status(id);
    const escalated = s.timeline.find((e: any) => e.type === 'approval.escalated');
    expect(escalated.summary).toMatch(/^Nobody is on call for tier night: .* escalated from tier night to tier tier1/);
    const delivered = s.timeline.filter((e: any) => e.type === 'notification.delivered').map((e: any) => e.summary);
    expect(delivered).toEqual([
      'Notification approval.requested for night (nobody is on call) sent: webhook to *',
      'Notification approval.escalated for tier1 (on call: bob) sent: webhook to *',
    ]);
    // The request waited for nobody: the escalation came right after the request.
    const requestedAt = Date.parse(s.timeline.find((e: any) => e.type === 'approval.requested').time);
    expect(Date.parse(escalated.time) - requestedAt).toBeLessThan(60_000);

    expect((await r.decide(id, approval.id, 'bob', { decision: 'reject', reason: 'not tonight' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    const ended = await r.status(id);
    // The decision's notification is recorded too, before the closing event.
    expect(ended.approvals[0].notified.map((n: any) => n.kind)).toEqual([
      'approval.requested',
      'approval.escalated',
      'approval.decided',
    ]);
    expect(ended.timeline.at(-1).type).toBe('response.completed');
    const verify = await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' });
    await vi.waitFor(
      async () =>
        expect((await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' })).body).toMatchObject({
          intact: true,
        }),
      { timeout: 10_000, interval: 200 },
    );
    expect(verify.status).toBe(200);
  });

  it('says so when nobody is on call at the last level, and keeps the request open (fails closed later)', async () => {
    const id = await r.open('unrouted', { labels: { alertname: 'Empty' } });
    const s = await vi.waitFor(
      async () => {
        const st = await r.status(id);
        expect(st.timeline.map((e: any) => e.type)).toContain('notification.unrouted');
        return st;
      },
      { timeout: 10_000, interval: 100 },
    );
    const unrouted = s.timeline.find((e: any) => e.type === 'notification.unrouted');
    expect(unrouted.summary).toMatch(/^Nobody is on call for tier night, the last escalation level: .* stays open/);
    expect(s.approvals[0]).toMatchObject({
      state: 'pending',
      tier: 'night',
      notified: [{ tier: 'night', people: [] }],
    });
    const stop = await h.request('POST', `/v1/incidents/${id}/cancel`, { as: 'lee', body: { reason: 'test over' } });
    expect(stop.status).toBe(202);
  });
});
