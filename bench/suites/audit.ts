import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { createOpenSearchClientFromEnv } from '../../src/clients/opensearch/connection.js';
import { createAuditStore, indexFor, type AuditQuery } from '../../src/clients/opensearch/audit-store.js';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import { restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

const CORPUS_PREFIX = 'audit-bench';
const CORPUS_SIZE = Number(process.env.AUDIT_CORPUS_SIZE ?? 1_000_000);
const WORDS = [
  'replica',
  'lag',
  'restart',
  'database',
  'checkout',
  'latency',
  'rollback',
  'deploy',
  'failover',
  'drill',
  'customer',
  'traffic',
  'migration',
  'cache',
  'dns',
  'certificate',
  'queue',
  'backlog',
  'approved',
  'dashboard',
  'confirmed',
  'noisy',
  'alert',
  'paging',
  'weekend',
  'freeze',
  'capacity',
  'memory',
  'disk',
  'network',
];
const PEOPLE = ['alice', 'bob', 'dana', 'erin', 'lee', 'kim', 'sam', 'ray', 'uma', 'vic'];
const TYPES = [
  'approval.granted',
  'approval.rejected',
  'optout.engaged',
  'mitigation.started',
  'mitigation.succeeded',
  'response.opened',
  'override.applied',
  'alert.joined',
] as const;
const SERVICES = ['payments-db', 'checkout', 'search', 'orders', 'auth', 'billing', 'cdn', 'queue'];

/** Deterministic pseudo-random numbers, so every seeding run builds the same corpus. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

async function* corpus(size: number): AsyncGenerator<AuditEvent> {
  const rand = rng(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const start = Date.parse('2026-05-01T00:00:00Z');
  for (let i = 0; i < size; i++) {
    const incident = `am-${(i % 50_000).toString(16).padStart(24, '0')}`;
    const person = pick(PEOPLE);
    yield {
      eventId: `bench-${i}`,
      sequence: Math.floor(i / 50_000) + 1,
      time: new Date(start + i * 15_000).toISOString(),
      incidentId: incident,
      workflowId: `incident-${incident}`,
      type: pick(TYPES),
      actor: {
        id: person,
        name: `${person[0]!.toUpperCase()}${person.slice(1)} Example`,
        channel: pick(['api', 'slack', 'console', 'temporal-ui'] as const),
      },
      summary: `${pick(WORDS)} ${pick(WORDS)} on ${pick(SERVICES)}`,
      reason: Array.from({ length: 6 + Math.floor(rand() * 10) }, () => pick(WORDS)).join(' '),
      service: pick(SERVICES),
      environment: rand() < 0.7 ? 'prod' : 'staging',
      severity: pick(['critical', 'warning', 'info']),
    };
  }
}

/** Seed the corpus once with the bulk helper; later runs reuse it. */
async function ensureCorpus(client: OpenSearchClient, log: (m: string) => void) {
  const store = createAuditStore(client, CORPUS_PREFIX);
  await store.installTemplate();
  const count = await client
    .count({ index: `${CORPUS_PREFIX}-*`, ignore_unavailable: true, allow_no_indices: true })
    .then(
      (r) => r.body.count,
      () => 0,
    );
  if (count >= CORPUS_SIZE) return log(`corpus: reusing ${count} events`);
  log(`corpus: seeding ${CORPUS_SIZE} events (once; later runs reuse them)...`);
  await client.indices
    .delete({ index: `${CORPUS_PREFIX}-*`, ignore_unavailable: true, allow_no_indices: true })
    .catch(() => undefined);
  const t = Date.now();
  const result = await client.helpers.bulk({
    datasource: corpus(CORPUS_SIZE),
    onDocument: (doc: AuditEvent) => ({ create: { _index: indexFor(CORPUS_PREFIX, doc.time), _id: doc.eventId } }),
    flushBytes: 5_000_000,
    concurrency: 2,
  });
  if (result.failed > 0) throw new Error(`corpus seeding: ${result.failed} documents failed`);
  await client.indices.refresh({ index: `${CORPUS_PREFIX}-*` });
  // Fewer segments: searches then measure the query, not merge debt left by seeding.
  await client.indices.forcemerge({ index: `${CORPUS_PREFIX}-*`, max_num_segments: 1 });
  log(`corpus: seeded in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

export const auditSuite: BenchSuite = {
  description:
    'event-to-searchable latency, and search latency over a 1,000,000-event corpus vs the same query sent raw',
  async run({ stack, iterations = 200 }) {
    const log = (m: string) => console.error(`[bench:audit] ${m}`);
    const client = createOpenSearchClientFromEnv(stack.opensearchUrl, { requestTimeout: 600_000 });
    await ensureCorpus(client, log);

    // 1. Search latency over the corpus: through the gateway, and the same body raw.
    const target = await startTargetServer();
    const corpusGateway = await startInterlock(
      { ...stack, auditIndexPrefix: CORPUS_PREFIX },
      { playbooks: { 'restart.yaml': restartPlaybook(target.url) } },
    );
    const store = createAuditStore(client, CORPUS_PREFIX);
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const queries: AuditQuery[] = Array.from({ length: iterations }, (_, i) => ({
      q: `${pick(WORDS)} ${pick(WORDS)}`,
      ...(i % 3 === 0 ? { service: pick(SERVICES) } : {}),
      ...(i % 4 === 0 ? { actor: pick(PEOPLE) } : {}),
      ...(i % 5 === 0 ? { types: [pick(TYPES)] } : {}),
      sort: 'relevance',
      limit: 50,
    }));
    const viaApi: number[] = [];
    const raw: number[] = [];
    try {
      const qs = (q: AuditQuery) =>
        new URLSearchParams({
          q: q.q!,
          sort: q.sort,
          limit: String(q.limit),
          ...(q.service ? { service: q.service } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.types ? { type: q.types[0]! } : {}),
        }).toString();
      // Warm both paths (JIT, caches), then measure alternately so neither runs on a warmer node.
      for (const q of queries.slice(0, 20)) {
        await corpusGateway.request('GET', `/v1/audit/search?${qs(q)}`, { as: 'audrey' });
        await client.search({ index: `${CORPUS_PREFIX}-*`, body: store.searchBody(q) as never });
      }
      for (const q of queries) {
        let t = performance.now();
        const res = await corpusGateway.request('GET', `/v1/audit/search?${qs(q)}`, { as: 'audrey' });
        if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(res.body)}`);
        viaApi.push(performance.now() - t);
        t = performance.now();
        await client.search({ index: `${CORPUS_PREFIX}-*`, body: store.searchBody(q) as never });
        raw.push(performance.now() - t);
      }
    } finally {
      await corpusGateway.stop();
    }

    // 2. Event to searchable: an opt-out with a unique reason, polled until search finds it.
    const h = await startInterlock(stack, { playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
    const r = responses(h);
    const searchable: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const id = await r.open(`searchable-${i}`, { labels: { incident_tag: `searchable-${i}-${Date.now()}` } });
        await r.pendingApproval(id);
        const marker = `marker${Date.now().toString(36)}x${i}`;
        const t0 = performance.now();
        const res = await r.post(id, 'opt-out', 'alice', { reason: `${marker} pausing automation` });
        if (res.status !== 200) throw new Error(`opt-out answered ${res.status}`);
        for (;;) {
          const found = await h.request('GET', `/v1/audit/search?q=${marker}&incident=${id}`, { as: 'audrey' });
          if (found.body.total > 0) break;
          if (performance.now() - t0 > 30_000) throw new Error('event never became searchable');
          await new Promise((res2) => setTimeout(res2, 25));
        }
        searchable.push(performance.now() - t0);
        await r.post(id, 'resolve', 'alice', { summary: 'benchmark' });
      }
    } finally {
      await h.stop();
      await target.close();
    }

    report('audit_searchable_p95_ms', percentile(searchable, 95), 'ms', { runs: searchable.length, target: 1500 });
    report('audit_search_p95_ms', percentile(viaApi, 95), 'ms', {
      runs: viaApi.length,
      corpus: CORPUS_SIZE,
      target: 50,
    });
    report('audit_search_raw_p95_ms', percentile(raw, 95), 'ms', { runs: raw.length, corpus: CORPUS_SIZE });
    report('audit_search_vs_raw_ratio', percentile(viaApi, 95) / percentile(raw, 95), 'ratio', { target: 1.2 });
    report('audit_search_p50_ms', percentile(viaApi, 50), 'ms', { runs: viaApi.length });
    report('audit_search_raw_p50_ms', percentile(raw, 50), 'ms', { runs: raw.length });
  },
};
