import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

// Reminders, escalation, expiry and objection windows (long timers): approval-timers.test.ts,
// on the time-skipping test server.

/** One playbook per policy under test, told apart by alertname. */
function playbook(alertname: string, opts: Parameters<typeof restartPlaybook>[1]) {
  return restartPlaybook(target.url, { alertname, ...opts }).replace(
    'id: restart-replica\n',
    `id: ${alertname.toLowerCase()}\n`,
  );
}

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'quorum.yaml': playbook('Quorum', { approvers: 2 }),
      'adjust.yaml': playbook('Adjust', {}),
      'manual.yaml': playbook('Manual', { policy: '{ mode: manual-only }' }),
      'auto.yaml': playbook('Auto', { policy: '{ mode: auto }' }),
      'owned.yaml': playbook('Owned', {}).replace('version: 3\n', 'version: 3\nowner: bob\n'),
    },
    // Org policy: risk-high mitigations in "prod-eu" need a lead, whatever the playbook says.
    policy: `
rules:
  - name: eu-needs-a-lead
    match: { risk: high, environment: prod-eu }
    decision: { mode: approval, tier: lead, timeout: 5m }
default: { mode: auto }
`,
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const restarts = (incidentTag: string) =>
  target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes(incidentTag));

describe('approvals', () => {
  it('needs N distinct approvers: one is not enough, the same person twice is refused', async () => {
    const id = await r.open('quorum', { labels: { alertname: 'Quorum', incident_tag: 'quorum-1' } });
    const approval = await r.pendingApproval(id);
    expect(approval.approversRequired).toBe(2);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'first yes' })).body).toMatchObject({
      state: 'pending',
    });
    const twice = await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'me again' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('DuplicateApprover');
    await new Promise((res) => setTimeout(res, 300));
    expect(restarts('quorum-1')).toHaveLength(0);
    expect((await r.decide(id, approval.id, 'erin', { decision: 'approve', reason: 'second yes' })).body).toMatchObject(
      { state: 'approved' },
    );
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('quorum-1')).toHaveLength(1);
  });

  it("refuses the automation's owner approving its own request", async () => {
    const id = await r.open('owned', { labels: { alertname: 'Owned', incident_tag: 'owned-1' } });
    const approval = await r.pendingApproval(id);
    expect(approval.requestedBy).toEqual({ id: 'bob', name: 'bob' });
    const own = await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'my own playbook' });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/own request/);
    expect(
      (await r.decide(id, approval.id, 'erin', { decision: 'approve', reason: 'second pair of eyes' })).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
  });

  it('lets an approver adjust inputs within bounds, and refuses out-of-bounds values with a message', async () => {
    const id = await r.open('adjust', { labels: { alertname: 'Adjust', incident_tag: 'adjust-1' } });
    const approval = await r.pendingApproval(id);
    expect(approval.context.adjustable).toMatchObject({ drainSeconds: { type: 'integer', min: 0, max: 120 } });
    const tooBig = await r.decide(id, approval.id, 'bob', {
      decision: 'approve',
      reason: 'drain longer',
      inputs: { drainSeconds: 500 },
    });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.error.message).toMatch(/drainSeconds: must be at most 120/);
    const unknown = await r.decide(id, approval.id, 'bob', {
      decision: 'approve',
      reason: 'other region',
      inputs: { region: 'eu' },
    });
    expect(unknown.status).toBe(422);
    const ok = await r.decide(id, approval.id, 'bob', {
      decision: 'approve',
      reason: 'use the second replica',
      inputs: { instance: 'db-2', drainSeconds: 60 },
    });
    expect(ok.status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(JSON.parse(restarts('adjust-1')[0]!.body)).toEqual({
      instance: 'db-2',
      drainSeconds: 60,
      incident: 'adjust-1',
    });
    const s = await r.status(id);
    expect(r.types(s)).toContain('approval.adjusted');
  });
});

describe('policy', () => {
  it('never automates a manual-only step', async () => {
    const id = await r.open('manual', { labels: { alertname: 'Manual', incident_tag: 'manual-1' } });
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.steps[1]).toMatchObject({
      state: 'manual-only',
      policy: { mode: 'manual-only', source: 'playbook step' },
    });
    expect(s.approvals).toHaveLength(0);
    expect(restarts('manual-1')).toHaveLength(0);
  });

  it('runs an auto step at once, unless the org policy is stricter for these facts', async () => {
    const auto = await r.open('auto', { labels: { alertname: 'Auto', incident_tag: 'auto-1' } });
    expect((await r.result(auto)).phase).toBe('completed');
    expect(restarts('auto-1')).toHaveLength(1);

    const eu = await r.open('auto-eu', {
      labels: { alertname: 'Auto', incident_tag: 'auto-eu-1', environment: 'prod-eu' },
    });
    const approval = await r.pendingApproval(eu);
    expect(approval).toMatchObject({ tier: 'lead', context: { policySource: 'policy rule "eu-needs-a-lead"' } });
    expect(restarts('auto-eu-1')).toHaveLength(0);
    await r.post(eu, 'resolve', 'alice', { summary: 'handled by hand' });
    expect((await r.result(eu)).phase).toBe('resolved');
    expect(restarts('auto-eu-1')).toHaveLength(0);
  });
});
