import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerWebhook, restartPlaybook, uniqueGroupKey } from '../support/interlock.js';
import { startAppFleet, type AppFleet } from '../support/app-fleet.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * A gateway process killed (SIGKILL) while decisions flow through it and its twin. Every
 * decision a caller saw acknowledged is in its workflow; every one that got no answer is sent
 * again through the surviving gateway with the same Idempotency-Key and takes effect once.
 * `CHAOS_DECISIONS` (default 500) responses, one decision each.
 */
const DECISIONS = Number(process.env.CHAOS_DECISIONS ?? 500);
const CONCURRENCY = 20;
// Long enough for a batch's requests to reach Temporal, short of the gateway's 10 s deadline.
const PAUSE_MS = 3000;
// The development principals file's tokens (config/principals.dev.yaml): these processes read it.
const TOKENS = { alertmanager: 'dev-alertmanager-token', bob: 'dev-bob-token' };

let fleet: AppFleet;
let target: TargetServer;
let client: Client;
const taskQueue = `gateway-kill-${randomUUID()}`;

async function call(base: string, urlPath: string, as: keyof typeof TOKENS, body: unknown, key?: string) {
  const res = await fetch(`${base}${urlPath}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKENS[as]}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map((item, k) => fn(item, i + k)))));
  return out;
}

describe('a gateway killed under load', () => {
  beforeAll(async () => {
    target = await startTargetServer();
    fleet = await startAppFleet({
      name: 'gateway-kill',
      taskQueue,
      playbooks: { 'restart.yaml': restartPlaybook(target.url, { approvalTimeout: '1h' }) },
      workers: 1,
      gateways: 2,
      // The gateways' per-principal limit must not be what refuses this load.
      env: { RATE_LIMIT_PER_MINUTE: '100000' },
    });
    client = fleet.client;
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
    await target?.close();
  });

  it(`${DECISIONS} decisions across two gateways, one killed midway: acknowledged ones are in, the rest retried once`, async () => {
    const [doomed, survivor] = fleet.gateways;
    const ids = await inBatches(
      Array.from({ length: DECISIONS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const res = await call(survivor!.url, '/v1/alerts/alertmanager', 'alertmanager', {
          ...alertmanagerWebhook(uniqueGroupKey(`gateway-kill-${i}`)),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        return res.body.incidentId as string;
      },
    );
    // Everything waits for approval before the first decision is sent.
    const waiting = `TaskQueue = '${taskQueue}' AND AwaitingApproval = true AND ExecutionStatus = 'Running'`;
    for (let deadline = Date.now() + 600_000; ;) {
      const { count } = await client.workflow.count(waiting);
      if (count >= DECISIONS) break;
      if (Date.now() > deadline) throw new Error(`only ${count} of ${DECISIONS} responses reached their approval`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    const keys = ids.map(() => randomUUID());
    let acknowledged = 0;
    let killed = false;
    const outcomes = await inBatches(ids, CONCURRENCY, async (id, i) => {
      const via = i % 2 === 0 ? doomed! : survivor!;
      // The kill lands while a batch is in flight, at the moment that matters: its decisions have
      // reached Temporal but are not answered yet. The worker is paused (SIGSTOP) so the updates
      // wait admitted; the doomed gateway dies; the worker resumes and applies them. Those callers
      // never hear back, the case an idempotency key is for.
      if (!killed && acknowledged >= DECISIONS / 3) {
        killed = true;
        const [worker] = fleet.workers;
        worker!.signal('SIGSTOP');
        setTimeout(() => {
          doomed!.signal('SIGKILL');
          worker!.signal('SIGCONT');
        }, PAUSE_MS);
      }
      try {
        const res = await call(via.url, `/v1/incidents/${id}/approvals/restart-replica-1`, 'bob', decision(i), keys[i]);
        if (res.status === 200) acknowledged++;
        return { id, i, status: res.status, body: res.body };
      } catch (err) {
        return { id, i, status: 0, body: String(err) };
      }
    });
    expect(killed).toBe(true);
    const acked = outcomes.filter((o) => o.status === 200);
    const unanswered = outcomes.filter((o) => o.status === 0 || o.status >= 500);
    expect(outcomes.filter((o) => o.status !== 200 && o.status !== 0 && o.status < 500)).toEqual([]);
    expect(unanswered.length).toBeGreaterThan(0); // the kill did cut requests off

    // Acknowledged means recorded: each is in its workflow now.
    await inBatches(acked, CONCURRENCY, async (o) => {
      const status: any = await client.workflow.getHandle(`incident-${o.id}`).query('status');
      expect(status.approvals[0].decisions.map((d: any) => d.reason)).toContain(decision(o.i).reason);
    });
    // Some unanswered ones had taken effect before the kill (their answer was lost), the rest never
    // reached Temporal. The first kind is what a retry must not apply twice.
    const tookEffect = (
      await inBatches(unanswered, CONCURRENCY, async (o) => {
        const status: any = await client.workflow.getHandle(`incident-${o.id}`).query('status');
        return status.approvals[0].decisions.length > 0;
      })
    ).filter(Boolean).length;
    console.log(
      JSON.stringify({ acknowledged: acked.length, unanswered: unanswered.length, took_effect_unanswered: tookEffect }),
    );
    expect(tookEffect, 'no decision took effect and lost its answer').toBeGreaterThan(0);

    // Unanswered: sent again through the survivor with the same key, accepted, taking effect once.
    const retried = await inBatches(unanswered, CONCURRENCY, (o) =>
      call(survivor!.url, `/v1/incidents/${o.id}/approvals/restart-replica-1`, 'bob', decision(o.i), keys[o.i]),
    );
    expect(retried.filter((r) => r.status !== 200).map((r) => JSON.stringify(r.body))).toEqual([]);

    // Every response: exactly one decision, and its mitigation ran exactly once.
    await inBatches(ids, CONCURRENCY, async (id) => {
      const handle = client.workflow.getHandle(`incident-${id}`);
      expect(((await handle.result()) as any).phase).toBe('completed');
      const status: any = await handle.query('status');
      expect(status.approvals[0].decisions).toHaveLength(1);
    });
    const restarts = target.received.filter((x) => x.path === '/mitigations/restart');
    expect(restarts).toHaveLength(DECISIONS);
  }, 1_200_000);
});

const decision = (i: number) => ({ decision: 'approve', reason: `decision ${i} under a gateway kill` });
