import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import { eventHash } from '../../src/domain/audit/chain.js';
import { parseAuditKeys } from '../../src/domain/audit/seal.js';
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
  await expect.poll(async () => (await verify(id)).events, { timeout: 30_000, interval: 250 }).toBe(count);
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

  it(
    'deleting a closed response’s newest events is found even after Temporal has forgotten it',
    { timeout: 150_000 },
    async () => {
      const id = await r.open('forgotten', { labels: { incident_tag: 'forgotten-1' } });
      const approval = await r.pendingApproval(id);
      await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' });
      await r.result(id);
      const trail = (await r.status(id)).timeline;
      await expect.poll(async () => (await verify(id)).events, { timeout: 30_000, interval: 250 }).toBe(trail.length);
      expect(await verify(id)).toMatchObject({ intact: true, head: { checked: true } });
      // Temporal forgets it (as after its retention period), then the tail is deleted in OpenSearch.
      const execution = await h.client.workflow.getHandle(`incident-${id}`).describe();
      await h.client.workflowService.deleteWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: execution.workflowId, runId: execution.runId },
      });
      await expect
        // The dev server deletes in the background: 15-20 s here, longer when the machine is busy.
        .poll(async () => (await verify(id)).head?.reason, { timeout: 90_000, interval: 1000 })
        .toBe('Temporal no longer holds the response');
      expect(await verify(id)).toMatchObject({ intact: true });
      for (const e of trail.slice(-2))
        await h.opensearch.delete({
          index: indexFor(inject('auditIndexPrefix'), e.time),
          id: e.eventId,
          refresh: true,
        });
      expect(await verify(id)).toMatchObject({
        intact: false,
        firstBroken: {
          eventId: trail.at(-3).eventId,
          problem: expect.stringMatching(/ends without its closing event/),
        },
      });
    },
  );
});

describe('sealed audit events (AUDIT_MAC_KEYS)', () => {
  let sealedH: Harness;
  let sr: ReturnType<typeof responses>;
  beforeAll(async () => {
    sealedH = await startHarness({
      playbooks: { 'restart.yaml': restartPlaybook(target.url) },
      auditMacKeys: parseAuditKeys(`audit-1:${randomBytes(32).toString('base64')}`),
    });
    sr = responses(sealedH);
  });
  afterAll(async () => {
    await sealedH?.stop();
  });
  const sealedVerify = async (id: string) =>
    (await sealedH.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' })).body;

  it('an event rewritten with recomputed hashes is caught by its seal (a running response: nothing else to compare)', async () => {
    const id = await sr.open('sealed', { labels: { incident_tag: 'sealed-1' } });
    await sr.pendingApproval(id);
    const trail = (await sr.status(id)).timeline;
    await expect
      .poll(async () => (await sealedVerify(id)).events, { timeout: 30_000, interval: 250 })
      .toBe(trail.length);
    // While it runs, verify cannot compare with what the response holds: only the seal can tell.
    expect(await sealedVerify(id)).toMatchObject({ intact: true, head: { checked: false } });
    // Rewrite what the automation decided, and recompute its hash and every later link.
    const granted = trail.find((e: { type: string }) => e.type === 'policy.decided');
    const index = indexFor(inject('auditIndexPrefix'), granted.time);
    const stored = (await sealedH.opensearch.get({ index, id: granted.eventId })).body._source as Record<
      string,
      unknown
    >;
    const forged = {
      ...stored,
      reason: 'approved by the on-call lead',
      actor: { ...(stored.actor as object), id: 'lee' },
    };
    const rehashed = { ...forged, hash: eventHash(forged as never) };
    // The next event links to the old hash: rewrite that link too (and so on), as a careful forger would.
    const chain = trail.slice(trail.indexOf(granted) + 1);
    await sealedH.opensearch.index({ index, id: granted.eventId, body: rehashed, refresh: true });
    let previous = rehashed.hash as string;
    for (const e of chain) {
      const i = indexFor(inject('auditIndexPrefix'), e.time);
      const s = (await sealedH.opensearch.get({ index: i, id: e.eventId })).body._source as Record<string, unknown>;
      const relinked = { ...s, prevHash: previous };
      const again = { ...relinked, hash: eventHash(relinked as never) };
      await sealedH.opensearch.index({ index: i, id: e.eventId, body: again, refresh: true });
      previous = again.hash;
    }
    expect(await sealedVerify(id)).toMatchObject({
      intact: false,
      firstBroken: { eventId: granted.eventId, problem: expect.stringMatching(/seal does not match/) },
    });
  });
});
