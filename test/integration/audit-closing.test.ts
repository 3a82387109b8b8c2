import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * A response's trail ends with its closing event. `verify` says so when it does not: the
 * response was ended from Temporal (terminate bypasses workflow code), or its newest events were
 * deleted from OpenSearch, even once Temporal no longer holds the response to compare with.
 */
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const verify = async (id: string) => (await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' })).body;
/** Wait until OpenSearch holds what the response recorded so far. */
async function indexed(id: string) {
  const count = (await r.status(id)).timeline.length;
  await expect.poll(async () => (await verify(id)).events, { timeout: 10_000, interval: 200 }).toBe(count);
}

describe('closing events', () => {
  it('a response terminated from Temporal is reported as ended without its closing event', async () => {
    const id = await r.open('terminated', { labels: { incident_tag: 'terminated-1' } });
    await r.pendingApproval(id);
    await indexed(id);
    expect(await verify(id)).toMatchObject({ intact: true, head: { checked: false } }); // still running: fine
    await h.client.workflow.getHandle(`incident-${id}`).terminate('operator pressed Terminate');
    expect(await verify(id)).toMatchObject({
      intact: false,
      firstBroken: { problem: expect.stringMatching(/ended from Temporal \(terminated, reset or timed out\)/) },
    });
  });

  it('deleting a closed response’s newest events is found even after Temporal has forgotten it', async () => {
    const id = await r.open('forgotten', { labels: { incident_tag: 'forgotten-1' } });
    const approval = await r.pendingApproval(id);
    await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' });
    await r.result(id);
    const trail = (await r.status(id)).timeline;
    await expect.poll(async () => (await verify(id)).events, { timeout: 10_000, interval: 200 }).toBe(trail.length);
    expect(await verify(id)).toMatchObject({ intact: true, head: { checked: true } });
    // Temporal forgets it (as after its retention period), then the tail is deleted in OpenSearch.
    const execution = await h.client.workflow.getHandle(`incident-${id}`).describe();
    await h.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: execution.workflowId, runId: execution.runId },
    });
    await expect
      .poll(async () => (await verify(id)).head?.reason, { timeout: 10_000, interval: 200 })
      .toBe('Temporal no longer holds the response');
    expect(await verify(id)).toMatchObject({ intact: true });
    for (const e of trail.slice(-2))
      await h.opensearch.delete({ index: indexFor(inject('auditIndexPrefix'), e.time), id: e.eventId, refresh: true });
    expect(await verify(id)).toMatchObject({
      intact: false,
      firstBroken: {
        eventId: trail.at(-3).eventId,
        problem: expect.stringMatching(/ends without its closing event/),
      },
    });
  });
});
