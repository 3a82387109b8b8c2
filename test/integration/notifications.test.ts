import { onCall, rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Notifications are structured data (kind, the request with its context, who acted, recipients)
 * that each channel renders; a channel that fails is audited as such and never holds a response.
 */
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'expire.yaml': restartPlaybook(target.url, { alertname: 'Expire', approvalTimeout: '1s' }).replace(
        'id: restart-replica\n',
        'id: expire\n',
      ),
    },
    // tier1 rotates daily between bob and erin from a fixed day (UTC), so today's person is known;
    // nobody is scheduled for "responders".
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: {
          timeZone: 'UTC',
          layers: [{ name: 'day', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob', 'erin'] }],
        },
        responders: { timeZone: 'UTC', layers: [] },
      },
    }),
    // Every notification about an incident tagged "down" fails, as if its channel were unreachable.
    failNotification: (n) => n.approval?.context.alerts.some((a) => a.labels.incident_tag === 'down') === true,
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const kindsOf = (id: string) => h.notifications.filter((n) => n.incidentId === id).map((n) => n.kind);

describe('notifications', () => {
  it('announce a request with its full context, then its decision with who decided and why', async () => {
    const id = await r.open('decided', { labels: { incident_tag: 'decided-1' } });
    const approval = await r.pendingApproval(id);
    await vi.waitFor(() => expect(kindsOf(id)).toEqual(['approval.requested']), { timeout: 5_000, interval: 50 });
    const requested = h.notifications.find((n) => n.incidentId === id)!;
    const today = onCall(h.onCallRotation!, 'tier1', Date.now());
    expect(today).toHaveLength(1);
    expect(requested).toMatchObject({
      kind: 'approval.requested',
      workflowId: `incident-${id}`,
      // Routed to whoever is on call for the tier as it was sent.
      recipients: [{ tier: 'tier1', people: today }],
      approval: {
        id: approval.id,
        stepId: 'restart-replica',
        tier: 'tier1',
        context: { action: 'http.request', impact: expect.stringContaining('Restarts the replica'), risk: 'high' },
      },
    });
    expect(requested.approval!.context.alerts.length).toBeGreaterThan(0);
    expect(requested.approval!.context.diagnostics.map((d) => d.stepId)).toEqual(['check-lag']);

    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'lag confirmed' })).status).toBe(200);
    await vi.waitFor(() => expect(kindsOf(id)).toEqual(['approval.requested', 'approval.decided']), {
      timeout: 5_000,
      interval: 50,
    });
    const decided = h.notifications.filter((n) => n.incidentId === id)[1]!;
    expect(decided).toMatchObject({
      actor: { id: 'bob' },
      reason: 'lag confirmed',
      approval: { id: approval.id, state: 'approved' },
    });
    expect(new Set(h.notifications.filter((n) => n.incidentId === id).map((n) => n.id)).size).toBe(2);
  });

  it('tell people a request expired, and that someone opted out (who and why)', async () => {
    const id = await r.open('expired', { labels: { alertname: 'Expire', incident_tag: 'expired-1' } });
    await r.until(id, (s) => s.approvals[0]?.state === 'expired');
    await vi.waitFor(() => expect(kindsOf(id)).toEqual(['approval.requested', 'approval.expired']), {
      timeout: 5_000,
      interval: 50,
    });

    const other = await r.open('optout', { labels: { incident_tag: 'optout-1' } });
    await r.pendingApproval(other);
    expect(
      (
        await r.post(other, 'opt-out', 'alice', {
          scope: { kind: 'response' },
          mode: 'halt-now',
          reason: 'customer migration tonight',
        })
      ).status,
    ).toBe(200);
    await vi.waitFor(() => expect(kindsOf(other)).toContain('optout.engaged'), { timeout: 5_000, interval: 50 });
    expect(h.notifications.find((n) => n.incidentId === other && n.kind === 'optout.engaged')).toMatchObject({
      actor: { id: 'alice' },
      reason: 'customer migration tonight',
      recipients: [{ tier: 'responders', people: [] }], // nobody on call: said, not silently dropped
    });
  });

  it('tell responders the kill switch was engaged', async () => {
    expect(
      (
        await h.request('POST', '/v1/guardrails/kill-switch', {
          as: 'alice',
          body: { reason: 'bad deploy everywhere' },
        })
      ).status,
    ).toBe(200);
    try {
      await vi.waitFor(() => expect(h.notifications.filter((n) => n.kind === 'killswitch.engaged')).toHaveLength(1), {
        timeout: 5_000,
        interval: 50,
      });
      expect(h.notifications.find((n) => n.kind === 'killswitch.engaged')).toMatchObject({
        workflowId: h.guardrailsWorkflowId,
        actor: { id: 'alice' },
        reason: 'bad deploy everywhere',
      });
    } finally {
      await h.request('DELETE', '/v1/guardrails/kill-switch', { as: 'alice', body: { reason: 'fixed' } });
    }
  });

  it('a channel that fails is audited as notification.failed and holds nothing up', async () => {
    const id = await r.open('down', { labels: { incident_tag: 'down' } });
    const approval = await r.pendingApproval(id);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    const failed = s.timeline.filter((e: any) => e.type === 'notification.failed');
    // Both fail after their retries; which is recorded first depends on timing.
    expect(failed.map((e: any) => e.summary).sort()).toEqual([
      expect.stringMatching(
        /^Notification approval\.decided via webhook to \* could not be sent: .*channel unreachable/,
      ),
      expect.stringMatching(
        /^Notification approval\.requested via webhook to \* could not be sent: .*channel unreachable/,
      ),
    ]);
    expect(r.types(s)).not.toContain('input.rejected');
    expect(kindsOf(id)).toEqual([]);
    expect(target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes('down'))).toHaveLength(1);
  }, 30_000);
});
