import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  clusterNodes,
  ensureOpenSearchCluster,
  startOpenSearchNode,
  type OpenSearchEndpoint,
} from '../../scripts/stack/opensearch.js';
import type { ManagedProcess } from '../../scripts/stack/process.js';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startInterlock,
  uniqueGroupKey,
  type Interlock,
} from '../support/interlock.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { CHAOS_CLUSTER, quiet } from './cluster-stack.js';

/**
 * One OpenSearch node of a two-node cluster killed (SIGKILL) while 500 decisions are taken:
 * the node holding the audit index's primary, so its replica on the other node is promoted while
 * events are being written. Every audit event of every response ends up stored exactly once.
 */
const DECISIONS = 500;
const CONCURRENCY = 25;
const PREFIX = 'audit-chaos';

let nodes: OpenSearchEndpoint[];
let restarted: ManagedProcess | undefined;
let os: OpenSearchClient;
let target: TargetServer;
let h: Interlock;

/** Run `fn` over `items`, `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('an OpenSearch node killed under 500 decisions', () => {
  beforeAll(async () => {
    ({ nodes } = await ensureOpenSearchCluster(CHAOS_CLUSTER, quiet));
    os = new OpenSearchClient({ node: nodes[0]!.url });
    // This month's index, its primary placed on node-2 (the node that will be killed) and its
    // replica on node-1: the kill then forces a primary failover while events are written.
    const index = indexFor(PREFIX, new Date().toISOString());
    await os.indices.delete({ index: `${PREFIX}-*` }).catch(() => undefined);
    target = await startTargetServer();
    h = await startInterlock(
      {
        temporalAddress: inject('temporalAddress'),
        opensearchUrl: nodes[0]!.url,
        auditIndexPrefix: PREFIX,
        auditIndexReplicas: 1,
        workflowBundlePath: inject('workflowBundlePath'),
      },
      { playbooks: { 'restart.yaml': restartPlaybook(target.url) } },
    );
    await os.indices.create({
      index,
      body: { settings: { number_of_replicas: 0, 'index.routing.allocation.require._name': 'node-2' } },
    });
    await os.cluster.health({ index, wait_for_status: 'green', timeout: '60s' });
    await os.indices.putSettings({
      index,
      body: { index: { number_of_replicas: 1, 'routing.allocation.require._name': null } },
    });
    await os.cluster.health({ index, wait_for_status: 'green', timeout: '60s' });
  }, 400_000);

  afterAll(async () => {
    await h?.stop();
    await target?.close();
    await Promise.all([...nodes.map((n) => n.process?.stop()), restarted?.stop()]);
  });

  it('loses and duplicates no audit event while the primary fails over to the other node', async () => {
    const index = indexFor(PREFIX, new Date().toISOString());
    const primaryNode = async () =>
      ((await os.cat.shards({ index, format: 'json' })).body as Array<Record<string, string>>).find(
        (s) => s.prirep === 'p' && s.state === 'STARTED',
      )?.node;
    expect(await primaryNode()).toBe('node-2');

    // 500 responses, each waiting for an approval.
    const ids = await pool(Array.from({ length: DECISIONS }), CONCURRENCY, async (_, i) => {
      const res = await h.request('POST', '/v1/alerts/alertmanager', {
        as: 'alertmanager',
        body: alertmanagerWebhook(uniqueGroupKey(`os-chaos-${i}`)),
      });
      expect(res.status).toBe(202);
      return res.body.incidentId as string;
    });
    // Each approval as its request goes out (read from the notifications the harness collects,
    // not by querying 500 workflows over and over on a shared server).
    const approvals = await pool(ids, CONCURRENCY, (id) =>
      poll(
        async () => h.notifications.find((n) => n.incidentId === id && n.kind === 'approval.requested')?.approval?.id,
        300_000,
        `the approval request of ${id}`,
      ),
    );

    // The decisions; node-2 dies (SIGKILL) once a fifth of them are in.
    let decided = 0;
    let killedAfter = -1;
    const statuses = await pool(ids, CONCURRENCY, async (id, i) => {
      const res = await h.request('POST', `/v1/incidents/${id}/approvals/${approvals[i]}`, {
        as: 'bob',
        body: { decision: 'approve', reason: `decision ${i} under a node loss` },
      });
      if (++decided === DECISIONS / 5) {
        killedAfter = decided;
        nodes[1]!.process!.signal('SIGKILL');
      }
      return res.status;
    });
    expect(killedAfter).toBe(DECISIONS / 5);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // The replica on node-1 is the primary now.
    expect(await poll(async () => ((await primaryNode()) === 'node-1' ? true : undefined), 60_000, 'failover')).toBe(
      true,
    );

    // Each response completes once its outbox is drained (writes refused during the failover retry).
    const results = await pool(ids, CONCURRENCY, (id) => h.client.workflow.getHandle(`incident-${id}`).result());
    expect(results.every((r: any) => r.phase === 'completed')).toBe(true);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(DECISIONS);

    // Every event of every timeline stored, once.
    const timelines = await pool(ids, CONCURRENCY, async (id) =>
      ((await h.request('GET', `/v1/incidents/${id}`, { as: 'alice' })).body.timeline as any[]).map((e) => e.eventId),
    );
    const expected = timelines.flat();
    await os.indices.refresh({ index: `${PREFIX}-*` });
    const stored: string[] = [];
    const query = { terms: { incidentId: ids } };
    let page = await os.search({ index: `${PREFIX}-*`, scroll: '1m', size: 5000, body: { query, _source: false } });
    while (page.body.hits.hits.length > 0) {
      stored.push(...page.body.hits.hits.map((hit) => hit._id!));
      page = await os.scroll({ scroll_id: page.body._scroll_id!, scroll: '1m' });
    }
    expect(expected.length).toBeGreaterThan(DECISIONS * 5);
    expect(stored.length - new Set(stored).size, 'duplicated events').toBe(0);
    expect(
      expected.filter((e) => !stored.includes(e)),
      'lost events',
    ).toEqual([]);
    expect(stored.length).toBe(expected.length);
    console.log(
      `[chaos] ${DECISIONS} decisions, node-2 (primary) killed after ${killedAfter}: ${expected.length} audit events, 0 lost, 0 duplicated`,
    );

    // node-2 back: its copy catches up and both copies hold the same events (cluster green).
    restarted = await startOpenSearchNode(CHAOS_CLUSTER, clusterNodes(CHAOS_CLUSTER)[1]!, quiet);
    const health = await os.cluster.health({ index, wait_for_status: 'green', timeout: '180s' });
    expect(health.body.status).toBe('green');
    const counts = await Promise.all(
      ['node-1', 'node-2'].map(
        async (node) =>
          (await os.count({ index: `${PREFIX}-*`, preference: `_only_nodes:${node}`, body: { query } })).body.count,
      ),
    );
    expect(counts).toEqual([expected.length, expected.length]);
  }, 900_000);
});
