import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function openResponse(label: string, labels?: Record<string, string>) {
  const res = await h.request('POST', '/v1/alerts/alertmanager', {
    as: 'alertmanager',
    body: alertmanagerWebhook(uniqueGroupKey(label), { labels }),
  });
  expect(res.status).toBe(202);
  const incidentId: string = res.body.incidentId;
  const status = await vi.waitFor(
    async () => {
      const s = await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' });
      expect(s.body.approvals?.[0]?.state).toBe('pending');
      // Settled: what was sent about the request is recorded.
      expect(s.body.approvals[0].notified?.length).toBeGreaterThan(0);
      return s.body;
    },
    { timeout: 20_000, interval: 100 },
  );
  return { incidentId, status, location: res.headers.get('location') };
}

async function resultOf(incidentId: string) {
  return h.client.workflow.getHandle(`incident-${incidentId}`).result();
}

describe('a response that needs approval', () => {
  it('runs the diagnostic at once and pauses before the mitigation with the full context', async () => {
    const { incidentId, status, location } = await openResponse('context');
    expect(location).toBe(`/v1/incidents/${incidentId}`);
    expect(target.requestsTo('/diagnostics/lag').length).toBeGreaterThanOrEqual(1);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(0);

    expect(status.phase).toBe('awaiting-approval');
    expect(status.playbook).toEqual({ id: 'restart-replica', version: 3 });
    const approval = status.approvals[0];
    expect(approval).toMatchObject({
      id: 'restart-replica-1',
      stepId: 'restart-replica',
      tier: 'tier1',
      approversRequired: 1,
    });
    expect(approval.context).toMatchObject({
      incidentId,
      title: 'Replication lag above 30s on payments-db',
      service: 'payments-db',
      environment: 'prod',
      severity: 'critical',
      action: 'http.request',
      impact: expect.stringContaining('Restarts the replica'),
    });
    // Parameters as they will be sent: inputs and alert labels filled in, types kept.
    expect(approval.context.params).toMatchObject({
      method: 'POST',
      url: `${target.url}/mitigations/restart`,
      body: { instance: 'db-1', drainSeconds: 30, incident: 'INC-42' },
    });
    // Secrets in parameters never reach approvers or the audit trail.
    expect(approval.context.params.headers.Authorization).toBe('[REDACTED]');
    expect(approval.context.alerts[0]).toMatchObject({
      fingerprint: 'c0ffee0123456789',
      labels: { instance: 'db-1:5432' },
    });
    expect(approval.context.diagnostics[0]).toMatchObject({
      stepId: 'check-lag',
      state: 'succeeded',
      output: { status: 200 },
    });

    // The same view straight from Temporal's `status` query.
    const viaQuery = await h.client.workflow.getHandle(`incident-${incidentId}`).query('status');
    expect((viaQuery as { approvals: unknown[] }).approvals).toHaveLength(1);
    await h.request('POST', `/v1/incidents/${incidentId}/cancel`, { as: 'alice', body: { reason: 'test cleanup' } });
  });

  it('runs the mitigation once approved, and records who approved and why', async () => {
    const { incidentId } = await openResponse('approve');
    const res = await h.request('POST', `/v1/incidents/${incidentId}/approvals/restart-replica-1`, {
      as: 'bob',
      body: { decision: 'approve', reason: 'lag confirmed on dashboards' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'approved',
      decisions: [{ actor: { id: 'bob', channel: 'api' }, decision: 'approve', reason: 'lag confirmed on dashboards' }],
    });

    expect(await resultOf(incidentId)).toEqual({ phase: 'completed', stepsRun: ['check-lag', 'restart-replica'] });
    const restarts = target.received.filter((r) => r.path === '/mitigations/restart' && r.body.includes('db-1'));
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.steps.map((s: { state: string }) => s.state)).toEqual(['succeeded', 'succeeded']);
    const granted = status.timeline.find((e: { type: string }) => e.type === 'approval.granted');
    const started = status.timeline.find((e: { type: string }) => e.type === 'mitigation.started');
    expect(started.causedBy).toBe(granted.eventId);

    // Every event of the response is in OpenSearch exactly once, by the time the workflow ends.
    const indexed = await h.request('GET', `/v1/audit/search?incident=${incidentId}&limit=200`, { as: 'audrey' });
    expect(indexed.body.total).toBe(status.timeline.length);
    expect(new Set(indexed.body.events.map((e: { eventId: string }) => e.eventId))).toEqual(
      new Set(status.timeline.map((e: { eventId: string }) => e.eventId)),
    );
    // What was sent about the request is recorded too; when, beside the mitigation, depends on the channel.
    const types: string[] = status.timeline.map((e: { type: string }) => e.type);
    expect(types.filter((t) => t === 'notification.delivered')).toHaveLength(2);
    expect(types.indexOf('notification.delivered')).toBeGreaterThan(types.indexOf('approval.requested'));
    expect(types.filter((t) => !t.startsWith('notification.'))).toEqual([
      'response.opened',
      'playbook.selected',
      'step.started',
      'step.succeeded',
      'policy.decided',
      'approval.requested',
      'approval.granted',
      'mitigation.started',
      'mitigation.succeeded',
      'response.completed',
    ]);
    const byReason = await h.request(
      'GET',
      `/v1/audit/search?q=${encodeURIComponent('dashboards lag')}&incident=${incidentId}`,
      { as: 'audrey' },
    );
    expect(byReason.body.events).toEqual([
      // Verified: the gateway signed the decision, and the workflow checked the signature.
      expect.objectContaining({
        type: 'approval.granted',
        actor: { id: 'bob', name: 'Bob Approver', channel: 'api', verified: true },
      }),
    ]);
  });

  it('takes a rejection sent as a signal (Temporal UI / CLI) as declared and unverified, never an approval', async () => {
    const before = target.requestsTo('/mitigations/restart').length;
    const { incidentId } = await openResponse('signal');
    const handle = h.client.workflow.getHandle(`incident-${incidentId}`);
    // Malformed and unsigned approving signals are recorded, and the workflow carries on.
    await handle.signal('decide', { approvalId: 'restart-replica-1', decision: 'approve' });
    await handle.signal('decide', {
      approvalId: 'restart-replica-1',
      decision: 'approve',
      reason: 'approved from the Temporal UI',
      actor: { id: 'erin', name: 'Erin Approver', channel: 'api', roles: ['approver'], groups: ['tier1'] },
    });
    // Stopping is open: a rejection from the same place counts, marked unverified.
    await handle.signal('decide', {
      approvalId: 'restart-replica-1',
      decision: 'reject',
      reason: 'rejected from the Temporal UI',
      actor: { id: 'erin', name: 'Erin Approver', channel: 'api', roles: ['approver'], groups: ['tier1'] },
    });
    expect(await resultOf(incidentId)).toEqual({ phase: 'completed', stepsRun: ['check-lag'] });
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(before);
    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    const rejected = status.timeline.filter((e: { type: string }) => e.type === 'input.rejected');
    expect(rejected).toHaveLength(2);
    expect(rejected[0].summary).toMatch(/decide signal refused: decide needs a verified person/);
    expect(rejected[1]).toMatchObject({
      actor: { id: 'erin', channel: 'temporal-ui' },
      summary: expect.stringMatching(/decide signal refused: decide needs a verified person/),
    });
    expect(status.approvals[0]).toMatchObject({ state: 'rejected' });
    expect(status.approvals[0].decisions).toEqual([
      expect.objectContaining({
        decision: 'reject',
        actor: { id: 'erin', name: 'Erin Approver', channel: 'temporal-ui', verified: false },
      }),
    ]);
  });

  it('skips the mitigation when rejected', async () => {
    const before = target.requestsTo('/mitigations/restart').length;
    const { incidentId } = await openResponse('reject');
    const res = await h.request('POST', `/v1/incidents/${incidentId}/approvals/restart-replica-1`, {
      as: 'bob',
      body: { decision: 'reject', reason: 'replica is catching up on its own' },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('rejected');
    expect(await resultOf(incidentId)).toEqual({ phase: 'completed', stepsRun: ['check-lag'] });
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(before);
    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.steps[1].state).toBe('rejected');
  });

  it('refuses an unauthenticated decision with 401 and changes nothing', async () => {
    // The restart body carries the alert's incident_tag: a tag of its own tells this response's
    // mitigation requests apart from every other test's.
    const tag = `unauth-${randomUUID()}`;
    const restartsForThis = () =>
      target.requestsTo('/mitigations/restart').filter((r) => JSON.parse(r.body).incident === tag);
    const { incidentId, status: before } = await openResponse('unauthenticated', { incident_tag: tag });
    const restartsBefore = target.requestsTo('/mitigations/restart').length;
    const path = `/v1/incidents/${incidentId}/approvals/restart-replica-1`;
    const none = await h.request('POST', path, { body: { decision: 'approve', reason: 'sneaky' } });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/Authorization/);
    const forged = await h.request('POST', path, {
      body: { decision: 'approve', reason: 'sneaky' },
      headers: { authorization: 'Bearer not-a-real-token' },
    });
    expect(forged.status).toBe(401);
    const forgedRejection = await h.request('POST', path, {
      body: { decision: 'reject', reason: 'sneaky' },
      headers: { authorization: 'Bearer not-a-real-token' },
    });
    expect(forgedRejection.status).toBe(401);

    // Had any of them counted, the approved mitigation would be on its way within milliseconds.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(after.phase).toBe('awaiting-approval');
    expect(after.approvals).toEqual(before.approvals);
    expect(after.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    expect(after.steps).toEqual(before.steps);
    // Not even a refusal was recorded: the workflow never heard of these requests.
    expect(after.timeline.map((e: { eventId: string }) => e.eventId)).toEqual(
      before.timeline.map((e: { eventId: string }) => e.eventId),
    );
    expect(restartsForThis()).toHaveLength(0);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(restartsBefore);

    // The same request, authenticated, does go through, and its mitigation is seen by the filter
    // above: the checks before were looking at the right requests.
    expect(
      (await h.request('POST', path, { as: 'bob', body: { decision: 'approve', reason: 'now with a token' } })).status,
    ).toBe(200);
    expect(await resultOf(incidentId)).toEqual({ phase: 'completed', stepsRun: ['check-lag', 'restart-replica'] });
    expect(restartsForThis()).toHaveLength(1);
    const final = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(final.approvals[0].decisions).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ id: 'bob' }), reason: 'now with a token' }),
    ]);
  });

  it('refuses decisions that may not count, with a status and a message', async () => {
    const { incidentId } = await openResponse('refusals');
    const path = `/v1/incidents/${incidentId}/approvals/restart-replica-1`;
    // Not an approver at all: refused at the gateway.
    expect(
      (await h.request('POST', path, { as: 'alice', body: { decision: 'approve', reason: 'looks fine' } })).status,
    ).toBe(403);
    // An approver, but not in the required tier: refused by the workflow's validator.
    const wrongTier = await h.request('POST', path, {
      as: 'dana',
      body: { decision: 'approve', reason: 'looks fine' },
    });
    expect(wrongTier.status).toBe(403);
    expect(wrongTier.body.error).toMatchObject({ code: 'NotAuthorized', message: expect.stringContaining('tier1') });
    // Unknown approval request.
    const unknown = await h.request('POST', `/v1/incidents/${incidentId}/approvals/nope-1`, {
      as: 'bob',
      body: { decision: 'approve', reason: 'looks fine' },
    });
    expect(unknown.status).toBe(404);
    // Wrong shapes.
    const badDecision = await h.request('POST', path, { as: 'bob', body: { decision: 'maybe', reason: 'looks fine' } });
    expect(badDecision.status).toBe(400);
    expect(badDecision.body.error.message).toMatch(/decision/);
    const noReason = await h.request('POST', path, { as: 'bob', body: { decision: 'approve' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/reason/);
    const malformed = await h.request('POST', path, { as: 'bob', rawBody: '{"decision": "approve",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');
    // Nothing of that changed the approval.
    let status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });

    // Approve, then a second decision on the closed request is a conflict.
    expect(
      (await h.request('POST', path, { as: 'bob', body: { decision: 'approve', reason: 'go ahead' } })).status,
    ).toBe(200);
    await resultOf(incidentId);
    const late = await h.request('POST', path, { as: 'erin', body: { decision: 'reject', reason: 'too late' } });
    expect(late.status).toBe(409);
    status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.approvals[0].decisions).toHaveLength(1);
  });

  it('answers 404 for an incident that does not exist', async () => {
    const res = await h.request('GET', '/v1/incidents/am-000000000000000000000000', { as: 'alice' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
