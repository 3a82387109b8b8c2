import { WorkflowFailedError } from '@temporalio/client';
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
  // The restart "hangs" until the caller gives up, so only an interruption can end it.
  target.holdOpen('/mitigations/restart');
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url, { mitigationTimeout: '60s', extraStep: true }) },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Open a response, approve the slow mitigation, and wait until its request is in flight. */
async function responseWithMitigationInFlight(label: string) {
  const inFlightBefore = target.requestsTo('/mitigations/restart').length;
  const res = await h.request('POST', '/v1/alerts/alertmanager', {
    as: 'alertmanager',
    body: alertmanagerWebhook(uniqueGroupKey(label)),
  });
  const incidentId: string = res.body.incidentId;
  await vi.waitFor(
    async () =>
      expect((await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body.approvals?.[0]?.state).toBe(
        'pending',
      ),
    { timeout: 20_000, interval: 100 },
  );
  const approve = await h.request('POST', `/v1/incidents/${incidentId}/approvals/restart-replica-1`, {
    as: 'bob',
    body: { decision: 'approve', reason: 'restart it' },
  });
  expect(approve.status).toBe(200);
  await target.waitFor(() => target.requestsTo('/mitigations/restart').length > inFlightBefore);
  const request = target.requestsTo('/mitigations/restart').at(-1)!;
  expect(request.aborted).toBe(false);
  return { incidentId, request, handle: h.client.workflow.getHandle(`incident-${incidentId}`) };
}

describe('opt-out', () => {
  it('interrupts the running mitigation (the HTTP request is aborted) and runs nothing more', async () => {
    const verifiesBefore = target.requestsTo('/verify/lag').length;
    const { incidentId, request, handle } = await responseWithMitigationInFlight('optout');

    const optOut = await h.request('POST', `/v1/incidents/${incidentId}/opt-out`, {
      as: 'alice',
      body: { reason: 'failover drill in progress, hands off the replica' },
    });
    expect(optOut.status).toBe(200);
    expect(optOut.body.optOut).toMatchObject({
      actor: { id: 'alice' },
      reason: 'failover drill in progress, hands off the replica',
    });

    await target.waitFor(() => request.aborted, 5_000);
    // Opted out, the response stays open for people and runs nothing more.
    await vi.waitFor(
      async () =>
        expect((await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body.phase).toBe('opted-out'),
      { timeout: 5_000, interval: 50 },
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(target.requestsTo('/verify/lag')).toHaveLength(verifiesBefore);

    expect(
      (
        await h.request('POST', `/v1/incidents/${incidentId}/resolve`, {
          as: 'alice',
          body: { summary: 'replica fixed by hand' },
        })
      ).status,
    ).toBe(200);
    expect(await handle.result()).toEqual({ phase: 'resolved', stepsRun: ['check-lag', 'restart-replica'] });
    // The verification step after the mitigation never ran.
    expect(target.requestsTo('/verify/lag')).toHaveLength(verifiesBefore);

    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.steps.map((s: { state: string }) => s.state)).toEqual(['succeeded', 'cancelled', 'skipped']);
    expect(status.resolution).toMatchObject({ actor: { id: 'alice' }, summary: 'replica fixed by hand' });
    const optOutEvent = status.timeline.find((e: { type: string }) => e.type === 'optout.engaged');
    const cancelled = status.timeline.find((e: { type: string }) => e.type === 'mitigation.cancelled');
    expect(cancelled.causedBy).toBe(optOutEvent.eventId);

    // Auditors find the opt-out by words of its reason.
    const search = await h.request(
      'GET',
      `/v1/audit/search?q=${encodeURIComponent('failover drill')}&incident=${incidentId}`,
      { as: 'audrey' },
    );
    expect(search.status).toBe(200);
    expect(search.body.events.map((e: { type: string }) => e.type)).toContain('optout.engaged');
    const hit = search.body.events.find((e: { type: string }) => e.type === 'optout.engaged');
    expect(hit).toMatchObject({
      actor: { id: 'alice', name: 'Alice Responder', channel: 'api' },
      reason: 'failover drill in progress, hands off the replica',
    });
  });

  it('refuses an opt-out without a reason, and one on an ended response', async () => {
    const res = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(uniqueGroupKey('optout-bad')),
    });
    const incidentId = res.body.incidentId;
    const noReason = await h.request('POST', `/v1/incidents/${incidentId}/opt-out`, { as: 'alice', body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/reason/);
    const auditor = await h.request('POST', `/v1/incidents/${incidentId}/opt-out`, {
      as: 'audrey',
      body: { reason: 'auditors may not' },
    });
    expect(auditor.status).toBe(403);
    await h.request('POST', `/v1/incidents/${incidentId}/cancel`, { as: 'alice', body: { reason: 'test cleanup' } });
    await expect(h.client.workflow.getHandle(res.body.workflowId).result()).rejects.toThrow();
    const late = await h.request('POST', `/v1/incidents/${incidentId}/opt-out`, {
      as: 'alice',
      body: { reason: 'too late now' },
    });
    expect(late.status).toBe(409);
  });
});

describe('emergency stop (cancel)', () => {
  it('aborts the in-flight mitigation and ends the workflow CANCELED, attributed to the person', async () => {
    const { incidentId, request, handle } = await responseWithMitigationInFlight('cancel');
    const res = await h.request('POST', `/v1/incidents/${incidentId}/cancel`, {
      as: 'alice',
      body: { reason: 'wrong replica targeted' },
    });
    expect(res.status).toBe(202);
    await target.waitFor(() => request.aborted, 5_000);
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    expect(status.phase).toBe('cancelled');
    const stop = status.timeline.find((e: { type: string }) => e.type === 'response.cancelled');
    expect(stop).toMatchObject({ actor: { id: 'alice' }, reason: 'wrong replica targeted' });
    const search = await h.request(
      'GET',
      `/v1/audit/search?q=${encodeURIComponent('wrong replica')}&incident=${incidentId}`,
      { as: 'audrey' },
    );
    expect(search.body.events.map((e: { type: string }) => e.type).sort()).toEqual([
      'response.cancelled',
      'response.stop-requested',
    ]);
  });

  it('a Cancel straight from Temporal (no reason, no person) is recorded as such, stops the mitigation and flushes the trail', async () => {
    const { incidentId, request, handle } = await responseWithMitigationInFlight('cancel-ui');
    await handle.cancel();
    await target.waitFor(() => request.aborted, 5_000);
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const status = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
    const stop = status.timeline.find((e: { type: string }) => e.type === 'response.cancelled');
    expect(stop).toMatchObject({
      actor: { id: 'unknown', channel: 'temporal-ui' },
      summary: expect.stringContaining('from Temporal, without a reason'),
    });
    expect(stop.reason).toBeUndefined();
    // Flushed before the workflow ended: every event is in OpenSearch, and the chain verifies.
    const verify = await h.request('GET', `/v1/audit/verify?incident=${incidentId}`, { as: 'audrey' });
    expect(verify.body).toMatchObject({ intact: true, events: status.timeline.length, head: { checked: true } });
  });
});
