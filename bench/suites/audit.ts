import { createOpenSearchClientFromEnv } from '../../src/clients/opensearch/connection.js';
import { createAuditStore, type AuditQuery } from '../../src/clients/opensearch/audit-store.js';
import { restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';
import { CORPUS_PREFIX, CORPUS_SIZE, ensureCorpus, PEOPLE, rng, SERVICES, TYPES, WORDS } from './audit-corpus.js';

export const auditSuite: BenchSuite = {
  description:
    'event-to-searchable latency, and search latency over the audit corpus (AUDIT_CORPUS_SIZE, 1,000,000 by default) vs the same query sent raw',
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
