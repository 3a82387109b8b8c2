import { randomUUID } from 'node:crypto';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OPENSEARCH_VERSION, PROFILES, TEMPORAL_SERVER_VERSION } from '../../scripts/stack/profiles.js';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import { alertmanagerWebhook, restartPlaybook, uniqueGroupKey } from '../support/interlock.js';
import { startAppFleet, type AppFleet } from '../support/app-fleet.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * The production topology itself (`npm run test:cluster` only): two worker processes and two
 * gateway processes, as `npm run stack -- up --profile cluster` runs them, on the real Temporal
 * server with PostgreSQL and a two-node OpenSearch cluster. Responses opened through one gateway
 * are decided through the other, the work lands on both workers, and every audit event has a
 * copy on each OpenSearch node.
 */
const onCluster = inject('stackProfile') === 'cluster-test';
// The development principals file's tokens (config/principals.dev.yaml): these processes read it.
const TOKENS = { alertmanager: 'dev-alertmanager-token', bob: 'dev-bob-token', audrey: 'dev-audrey-token' };
const RESPONSES = 12;

let fleet: AppFleet;
let target: TargetServer;
let client: Client;
let connection: Connection;
/** The responses the decision test opened (the replica test counts their events on each node). */
let opened: string[] = [];
const taskQueue = `cluster-${randomUUID()}`;

async function call(base: string, method: string, urlPath: string, as: keyof typeof TOKENS, body?: unknown) {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKENS[as]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!onCluster)('the production topology (cluster-test profile)', () => {
  beforeAll(async () => {
    target = await startTargetServer();
    fleet = await startAppFleet({
      name: 'cluster-topology',
      taskQueue,
      playbooks: { 'restart.yaml': restartPlaybook(target.url) },
      workers: 2,
      gateways: 2,
    });
    ({ client, connection } = fleet);
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
    await target?.close();
  });

  it('runs the real Temporal server on PostgreSQL, not the dev server', async () => {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION);
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
    expect(info.historyShardCount).toBeGreaterThan(1);
  });

  it('takes decisions through either gateway, runs the work on both workers, each mitigation once', async () => {
    const gateways = fleet.gateways.map((g) => g.url);
    const workerPids = fleet.workers.map((w) => w.pid);
    expect(gateways).toHaveLength(2);

    // Opened through gateway 1, decided through gateway 2 (and the other way round).
    const ids = await Promise.all(
      Array.from({ length: RESPONSES }, async (_, i) => {
        const res = await call(gateways[i % 2]!, 'POST', '/v1/alerts/alertmanager', 'alertmanager', {
          ...alertmanagerWebhook(uniqueGroupKey(`cluster-${i}`)),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        return res.body.incidentId as string;
      }),
    );
    await Promise.all(
      ids.map(async (id, i) => {
        const other = gateways[(i + 1) % 2]!;
        const approval = await poll(
          async () => {
            const s = await call(other, 'GET', `/v1/incidents/${id}`, 'bob');
            return s.body?.approvals?.find((a: any) => a.state === 'pending' && a.notified?.length);
          },
          60_000,
          `the approval of ${id}`,
        );
        const decided = await call(other, 'POST', `/v1/incidents/${id}/approvals/${approval.id}`, 'bob', {
          decision: 'approve',
          reason: `approved through gateway ${((i + 1) % 2) + 1}`,
        });
        expect(decided.status, JSON.stringify(decided.body)).toBe(200);
      }),
    );
    opened = ids;
    const results = await Promise.all(ids.map((id) => client.workflow.getHandle(`incident-${id}`).result()));
    expect(results.map((r: any) => r.phase)).toEqual(ids.map(() => 'completed'));
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(RESPONSES);

    // Which worker process ran each activity: the SDK's identity is `<pid>@<host>`.
    const ranBy = new Set<number>();
    for (const id of ids) {
      const history = await client.workflow.getHandle(`incident-${id}`).fetchHistory();
      for (const event of history.events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity;
        if (identity) ranBy.add(Number(identity.split('@')[0]));
      }
    }
    expect([...ranBy].sort()).toEqual([...workerPids].sort());

    // Every decision is in the audit trail once, found through either gateway.
    for (const gateway of gateways) {
      const found = await poll(
        async () => {
          const res = await call(
            gateway,
            'GET',
            `/v1/audit/search?q=${encodeURIComponent('through gateway')}&type=approval.granted&limit=100`,
            'audrey',
          );
          const mine = (res.body?.events ?? []).filter((e: any) => ids.includes(e.incidentId));
          return mine.length === RESPONSES ? mine : undefined;
        },
        30_000,
        'the decisions in the audit trail',
      );
      expect(new Set(found.map((e: any) => e.incidentId)).size).toBe(RESPONSES);
    }
  });

  it('keeps a replica of the audit index on the second OpenSearch node (cluster green)', async () => {
    const nodes = inject('opensearchNodeUrls');
    expect(nodes).toHaveLength(1 + PROFILES['cluster-test'].cluster!.extraOpenSearchNodes.length);
    const os = new OpenSearchClient({ node: nodes[0] });
    const index = indexFor(inject('auditIndexPrefix'), new Date().toISOString());
    const health = await os.cluster.health({ index, wait_for_status: 'green', timeout: '30s' });
    expect(health.body.status).toBe('green');
    expect(health.body.number_of_nodes).toBe(2);
    const info = await os.info();
    expect(info.body.version.number).toBe(OPENSEARCH_VERSION);
    const shards = (await os.cat.shards({ index, format: 'json' })).body as Array<Record<string, string>>;
    const started = shards.filter((s) => s.state === 'STARTED');
    expect(started.map((s) => s.prirep).sort()).toEqual(['p', 'r']);
    // The primary and its replica on different nodes: either node alone holds every event.
    expect(new Set(started.map((s) => s.node)).size).toBe(2);
    // Each node answers from its own copy with every event of the responses above (other test
    // files write to the same index meanwhile, so only these are counted).
    expect(opened).toHaveLength(RESPONSES);
    const query = { terms: { incidentId: opened } };
    await os.indices.refresh({ index });
    const counts = await Promise.all(
      started.map(
        async (s) => (await os.count({ index, preference: `_only_nodes:${s.node}`, body: { query } })).body.count,
      ),
    );
    expect(counts[0]).toBeGreaterThan(RESPONSES * 5);
    expect(counts[1]).toBe(counts[0]);
  });
});
