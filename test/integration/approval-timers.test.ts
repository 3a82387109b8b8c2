import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { restartPlaybook } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping.js';

/**
 * Reminders, escalations, expiry and objection windows, with the durations a real playbook
 * uses (a reminder after 15 minutes, 2 hours per escalation level, a 15-minute objection
 * window), on Temporal's time-skipping test server: the worker, the gateway, the activities
 * and the OpenSearch audit trail are the real ones; only the clock jumps.
 */
let target: TargetServer;
let h: TimeSkippingHarness;
let r: ReturnType<typeof responses>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function playbook(alertname: string, opts: Parameters<typeof restartPlaybook>[1]) {
  return restartPlaybook(target.url, { alertname, ...opts }).replace(
    'id: restart-replica\n',
    `id: ${alertname.toLowerCase()}\n`,
  );
}

beforeAll(async () => {
  target = await startTargetServer();
  h = await startTimeSkippingHarness({
    playbooks: {
      'escalate.yaml': playbook('Escalate', {
        approvalTimeout: '2h',
        escalation: ['sme:postgres', 'lead'],
        remindAfter: '15m',
      }),
      'objection.yaml': playbook('Objection', { policy: '{ mode: auto-after-objection-window, window: 15m }' }),
    },
    // Without an org policy the default (approval within 15 minutes) would be the stricter one.
    policy: 'default: { mode: auto }\n',
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const restarts = (incidentTag: string) =>
  target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes(incidentTag));
const notificationsOf = (id: string) => h.notifications.filter((n) => n.incidentId === id);
/** Workflow time of each timeline event of these types, in ms after `since`. */
const offsets = (s: any, type: string, since: string) =>
  s.timeline.filter((e: any) => e.type === type).map((e: any) => Date.parse(e.time) - Date.parse(since));
/** Give a timer that should not have fired a moment of real time to show itself if it did. */
const settle = () => new Promise((res) => setTimeout(res, 250));

describe('approval timers (time-skipping)', () => {
  it('reminds after 15 minutes, escalates one tier every 2 hours (tier1, sme:postgres, lead), and accepts the tier it reached', async () => {
    const id = await r.open('escalate', { labels: { alertname: 'Escalate', incident_tag: 'escalate-1' } });
    const first = await r.pendingApproval(id);
    expect(first).toMatchObject({ tier: 'tier1', tiers: ['tier1'] });
    expect(Date.parse(first.expiresAt) - Date.parse(first.requestedAt)).toBe(2 * HOUR);
    // A lead cannot answer before the escalation reaches them.
    expect((await r.decide(id, first.id, 'lee', { decision: 'approve', reason: 'too early' })).status).toBe(403);

    await h.skip('14m');
    await settle();
    expect(r.types(await r.status(id))).not.toContain('approval.reminded');

    await h.skip('2m');
    const reminded = await r.until(id, (s) => r.types(s).includes('approval.reminded'));
    expect(reminded.approvals[0]).toMatchObject({ state: 'pending', tier: 'tier1', tiers: ['tier1'] });

    await h.skip('103m'); // 1 h 59 min after the request
    await settle();
    const before = await r.status(id);
    expect(before.approvals[0]).toMatchObject({ state: 'pending', tier: 'tier1' });
    expect(r.types(before)).not.toContain('approval.escalated');

    await h.skip('2m');
    const second = await r.until(id, (s) => s.approvals[0].tier !== 'tier1');
    // One level at a time: the SMEs next, not straight to the lead.
    expect(second.approvals[0]).toMatchObject({
      state: 'pending',
      tier: 'sme:postgres',
      tiers: ['tier1', 'sme:postgres'],
    });
    expect(Date.parse(second.approvals[0].expiresAt) - Date.parse(first.requestedAt)).toBeGreaterThanOrEqual(4 * HOUR);
    expect((await r.decide(id, first.id, 'lee', { decision: 'approve', reason: 'still too early' })).status).toBe(403);

    await h.skip('2h');
    const third = await r.until(id, (s) => s.approvals[0].tier === 'lead');
    expect(third.approvals[0]).toMatchObject({ state: 'pending', tiers: ['tier1', 'sme:postgres', 'lead'] });
    // On the workflow's clock: a reminder 15 minutes into each level, an escalation every 2 hours.
    const reminders = offsets(third, 'approval.reminded', first.requestedAt);
    const escalations = offsets(third, 'approval.escalated', first.requestedAt);
    expect(reminders).toHaveLength(2);
    expect(reminders[0]).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(reminders[0]).toBeLessThan(16 * MINUTE);
    expect(reminders[1]).toBeGreaterThanOrEqual(2 * HOUR + 15 * MINUTE);
    expect(escalations).toHaveLength(2);
    expect(escalations[0]).toBeGreaterThanOrEqual(2 * HOUR);
    expect(escalations[0]).toBeLessThan(2 * HOUR + 2 * MINUTE);
    expect(escalations[1]).toBeGreaterThanOrEqual(4 * HOUR);
    expect(escalations[1]).toBeLessThan(4 * HOUR + 4 * MINUTE);

    // The escalation notice is sent (an activity) just after the state changes: wait for it.
    await vi.waitFor(() => expect(notificationsOf(id)).toHaveLength(5), { timeout: 5_000, interval: 50 });
    expect(notificationsOf(id).map((n) => [n.kind, n.approval?.stepId, n.approval?.tier, n.recipients])).toEqual([
      ['approval.requested', 'restart-replica', 'tier1', [{ tier: 'tier1' }]],
      ['approval.reminder', 'restart-replica', 'tier1', [{ tier: 'tier1' }]],
      ['approval.escalated', 'restart-replica', 'sme:postgres', [{ tier: 'sme:postgres' }]],
      ['approval.reminder', 'restart-replica', 'sme:postgres', [{ tier: 'sme:postgres' }]],
      ['approval.escalated', 'restart-replica', 'lead', [{ tier: 'lead' }]],
    ]);
    expect(restarts('escalate-1')).toHaveLength(0);

    expect((await r.decide(id, first.id, 'lee', { decision: 'approve', reason: 'lead says go' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('escalate-1')).toHaveLength(1);
  });

  it('fails closed when nobody answers through the whole chain (6 hours), and the audit trail says so', async () => {
    const id = await r.open('expire', { labels: { alertname: 'Escalate', incident_tag: 'expire-1' } });
    const requested = await r.pendingApproval(id);
    // Awaiting the result lets the server jump from timer to timer.
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.approvals[0].state).toBe('expired');
    expect(s.approvals[0].tiers).toEqual(['tier1', 'sme:postgres', 'lead']);
    expect(s.steps[1]).toMatchObject({ id: 'restart-replica', state: 'expired' });
    expect(r.types(s)).toContain('approval.expired');
    expect(restarts('expire-1')).toHaveLength(0);
    // A reminder in each level, an escalation every 2 hours, expiry when the last level ends.
    const reminders = offsets(s, 'approval.reminded', requested.requestedAt);
    expect(reminders).toHaveLength(3);
    reminders.forEach((at: number, level: number) => {
      expect(at).toBeGreaterThanOrEqual(level * 2 * HOUR + 15 * MINUTE);
      expect(at).toBeLessThan(level * 2 * HOUR + 20 * MINUTE);
    });
    const escalations = offsets(s, 'approval.escalated', requested.requestedAt);
    expect(escalations).toHaveLength(2);
    escalations.forEach((at: number, i: number) => expect(at).toBeGreaterThanOrEqual((i + 1) * 2 * HOUR));
    const [expiredAt] = offsets(s, 'approval.expired', requested.requestedAt);
    expect(expiredAt).toBeGreaterThanOrEqual(6 * HOUR);
    expect(expiredAt).toBeLessThan(6 * HOUR + 5 * MINUTE);

    // The same story in OpenSearch, where auditors read it, with an intact hash chain.
    await vi.waitFor(
      async () => {
        const timeline = await h.request('GET', `/v1/incidents/${id}/timeline`, { as: 'audrey' });
        expect(timeline.status).toBe(200);
        const types = timeline.body.events.map((e: any) => e.type);
        expect(types.filter((t: string) => t.startsWith('approval.'))).toEqual([
          'approval.requested',
          'approval.reminded',
          'approval.escalated',
          'approval.reminded',
          'approval.escalated',
          'approval.reminded',
          'approval.expired',
        ]);
      },
      { timeout: 10_000, interval: 200 },
    );
    const verify = await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ incidentId: id, intact: true });

    // An answer after expiry does not count.
    const late = await r.decide(id, s.approvals[0].id, 'lee', { decision: 'approve', reason: 'sorry, late' });
    expect(late.status).toBe(409);
  });
});

describe('objection window (time-skipping)', () => {
  it('runs after a 15-minute objection window when nobody objects, not before', async () => {
    const id = await r.open('window', { labels: { alertname: 'Objection', incident_tag: 'window-1' } });
    const window = await r.pendingApproval(id);
    expect(window).toMatchObject({
      kind: 'objection',
      context: { ifNobodyAnswers: expect.stringContaining('unless someone objects') },
    });
    expect(Date.parse(window.expiresAt) - Date.parse(window.requestedAt)).toBe(15 * MINUTE);

    await h.skip('14m');
    await settle();
    expect((await r.status(id)).approvals[0].state).toBe('pending');
    expect(restarts('window-1')).toHaveLength(0);

    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('window-1')).toHaveLength(1);
    const s = await r.status(id);
    expect(r.types(s)).toContain('objection.window-passed');
    expect(offsets(s, 'objection.window-passed', window.requestedAt)[0]).toBeGreaterThanOrEqual(15 * MINUTE);
  });

  it('does not run when a responder objects 10 minutes into the window', async () => {
    const id = await r.open('object', { labels: { alertname: 'Objection', incident_tag: 'object-1' } });
    const window = await r.pendingApproval(id);
    await h.skip('10m');
    expect(
      (await r.decide(id, window.id, 'alice', { decision: 'reject', reason: 'customer demo running' })).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('object-1')).toHaveLength(0);
    const s = await r.status(id);
    expect(s.steps[1].state).toBe('rejected');
    expect(r.types(s)).toContain('objection.raised');
  });
});
