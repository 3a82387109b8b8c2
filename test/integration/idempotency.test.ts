import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideUpdate } from '../../src/contracts/incident-response.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

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

const APPROVAL = 'restart-replica-1';
const decidePath = (id: string) => `/v1/incidents/${id}/approvals/${APPROVAL}`;

describe('Idempotency-Key on decisions', () => {
  it('a repeated decision with the same key takes effect once and answers with the first outcome', async () => {
    const id = await r.open('idem-repeat');
    await r.pendingApproval(id);
    const key = randomUUID();
    const body = { decision: 'approve', reason: 'lag confirmed' };
    const first = await h.request('POST', decidePath(id), { as: 'bob', body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('approved');

    // The caller never saw that answer (a timeout, a dead gateway) and sends the request again.
    const again = await h.request('POST', decidePath(id), { as: 'bob', body, headers: { 'idempotency-key': key } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toEqual(first.body);

    // Without a key, the same person's second decision is a new input, which the workflow refuses.
    const unkeyed = await h.request('POST', decidePath(id), { as: 'bob', body });
    expect(unkeyed.status).toBe(409);

    const s = await r.until(id, (x) => x.phase === 'completed' || x.phase === 'resolved');
    expect(s.approvals[0].decisions).toHaveLength(1);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
  });

  it('is deduplicated by Temporal, not by the gateway: the same update ID from another client gets the first outcome', async () => {
    const id = await r.open('idem-temporal');
    await r.pendingApproval(id);
    const key = randomUUID();
    const body = { decision: 'reject', reason: 'not now' };
    const first = await h.request('POST', decidePath(id), { as: 'bob', body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    const history = await h.client.workflow.getHandle(`incident-${id}`).fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const updateId = accepted.at(-1)!.workflowExecutionUpdateAcceptedEventAttributes!.protocolInstanceId!;
    expect(updateId).toMatch(/^idem-[0-9a-f]{40}$/);

    // A bare update with that ID and no signature at all: had it run, the workflow would refuse
    // it as unverified; instead Temporal answers with the recorded outcome without running it.
    const replayed = await h.client.workflow.getHandle(`incident-${id}`).executeUpdate(decideUpdate, {
      args: [{ approvalId: APPROVAL, decision: 'approve', actor: { id: 'mallory', name: 'M', channel: 'api' } }],
      updateId,
    } as never);
    expect(replayed).toEqual(first.body);
  });

  it('the same key with a different body, or from another person, is a new input judged on its own', async () => {
    const id = await r.open('idem-different');
    await r.pendingApproval(id);
    const headers = { 'idempotency-key': randomUUID() };
    const rejected = await h.request('POST', decidePath(id), {
      as: 'bob',
      body: { decision: 'reject', reason: 'wait for the backup' },
      headers,
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.state).toBe('rejected');
    // Were the key alone the identity, both would be answered 200 with Bob's rejection.
    const changedMind = await h.request('POST', decidePath(id), {
      as: 'bob',
      body: { decision: 'approve', reason: 'backup done' },
      headers,
    });
    expect(changedMind.status).toBe(409);
    const erin = await h.request('POST', decidePath(id), {
      as: 'erin',
      body: { decision: 'reject', reason: 'wait for the backup' },
      headers,
    });
    expect(erin.status).toBe(409);
    const s = await r.status(id);
    expect(s.approvals[0].decisions.map((d: any) => d.actor.id)).toEqual(['bob']);
  });

  it('refuses a malformed key with 400 and changes nothing', async () => {
    const id = await r.open('idem-bad');
    await r.pendingApproval(id);
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(129)]) {
      const res = await h.request('POST', decidePath(id), {
        as: 'bob',
        body: { decision: 'approve', reason: 'looks fine' },
        headers: { 'idempotency-key': bad },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/Idempotency-Key/);
    }
    const s = await r.status(id);
    expect(s.approvals[0].state).toBe('pending');
    expect(s.approvals[0].decisions ?? []).toHaveLength(0);
  });
});
