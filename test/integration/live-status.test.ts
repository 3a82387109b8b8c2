import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url, { compensation: true }) } });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('live status', () => {
  it('lists responses by service, phase and awaiting approval (Temporal visibility), and summarizes for the Temporal UI', async () => {
    const service = `checkout-${Date.now()}`;
    const id = await r.open('list', { labels: { service, incident_tag: 'list-1' } });
    await r.pendingApproval(id);
    const listed = await vi.waitFor(
      async () => {
        const res = await h.request('GET', `/v1/incidents?service=${service}&awaitingApproval=true`, { as: 'audrey' });
        expect(res.status).toBe(200);
        expect(res.body.incidents).toHaveLength(1);
        return res.body.incidents[0];
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(listed).toMatchObject({
      incidentId: id,
      service,
      environment: 'prod',
      severity: 'critical',
      phase: 'awaiting-approval',
      awaitingApproval: true,
      status: 'RUNNING',
    });
    const none = await h.request('GET', `/v1/incidents?service=${service}&phase=mitigating`, { as: 'alice' });
    expect(none.body.incidents).toHaveLength(0);

    // The Temporal UI's summary of the workflow (current details).
    const metadata = (await h.client.workflow.getHandle(`incident-${id}`).query('__temporal_workflow_metadata')) as {
      currentDetails?: string;
    };
    expect(metadata.currentDetails).toMatch(/Phase: awaiting-approval/);
    expect(metadata.currentDetails).toMatch(/Waiting for: approval restart-replica-1 \(tier tier1/);

    const bad = await h.request('GET', `/v1/incidents?service=${encodeURIComponent("x' OR 1=1")}`, { as: 'alice' });
    expect(bad.status).toBe(400);
    expect((await h.request('GET', '/v1/incidents?phase=sleeping', { as: 'alice' })).status).toBe(400);
    await r.post(id, 'resolve', 'alice', { summary: 'test cleanup' });
  });

  it('shows each step with its state history and the policy that applied', async () => {
    const id = await r.open('history', { labels: { incident_tag: 'history-1' } });
    const approval = await r.pendingApproval(id);
    await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'looks right' });
    await r.result(id);
    const s = await r.status(id);
    expect(s.steps[1].history.map((x: any) => x.state)).toEqual(['awaiting-approval', 'running', 'succeeded']);
    expect(s.steps[1].policy).toEqual({ mode: 'approval', source: 'playbook step' });
  });
});

describe('dry run', () => {
  it('asks for the same approvals and records what it would have done, executing no mitigation', async () => {
    const diagnosticsBefore = target.requestsTo('/diagnostics/lag').length;
    const id = await r.open('dry', { labels: { incident_tag: 'dry-1' }, query: '?dryRun=true' });
    const approval = await r.pendingApproval(id);
    expect(approval.context.dryRun).toBe(true);
    await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'rehearsal' });
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.dryRun).toBe(true);
    // The diagnostic is not marked safeInDryRun: a dry run leaves production alone (see dry-run.test.ts).
    expect(s.steps.map((x: any) => x.state)).toEqual(['simulated', 'simulated']);
    expect(r.types(s)).toEqual(expect.arrayContaining(['step.simulated', 'mitigation.simulated']));
    expect(target.received.filter((x) => x.body.includes('dry-1') && x.path.startsWith('/mitigations'))).toHaveLength(
      0,
    );
    expect(target.requestsTo('/diagnostics/lag').length).toBe(diagnosticsBefore);
    expect(
      (await h.request('POST', '/v1/alerts/alertmanager?dryRun=maybe', { as: 'alertmanager', body: {} })).status,
    ).toBe(400);
  });
});

describe('playbook reload', () => {
  it('new responses get the edited playbook; a running one keeps the version it started with', async () => {
    const running = await r.open('reload-old', { labels: { incident_tag: 'reload-1' } });
    expect((await r.pendingApproval(running)).stepId).toBe('restart-replica');
    const file = path.join(h.playbookDir, 'restart.yaml');
    const original = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, restartPlaybook(target.url, { version: 4, policy: '{ mode: manual-only }' }));
      const fresh = await r.open('reload-new', { labels: { incident_tag: 'reload-2' } });
      expect((await r.result(fresh)).phase).toBe('completed');
      expect((await r.status(fresh)).playbook).toEqual({ id: 'restart-replica', version: 4 });

      // A broken edit is refused and the last good set stays in service.
      fs.writeFileSync(file, 'id: [broken');
      const afterBroken = await r.open('reload-broken', { labels: { incident_tag: 'reload-3' } });
      await r.until(afterBroken, (s) => s.playbook !== undefined);
      expect((await r.status(afterBroken)).playbook).toEqual({ id: 'restart-replica', version: 4 });
      await r.post(afterBroken, 'resolve', 'alice', { summary: 'test cleanup' });
    } finally {
      fs.writeFileSync(file, original);
    }
    expect((await r.status(running)).playbook).toEqual({ id: 'restart-replica', version: 3 });
    const approval = await r.pendingApproval(running);
    await r.decide(running, approval.id, 'bob', { decision: 'approve', reason: 'old version still fine' });
    expect((await r.result(running)).phase).toBe('completed');
  });
});
