import { createOpenSearchClientFromEnv } from '../../src/clients/opensearch/connection.js';
import { analyticsBody } from '../../src/clients/opensearch/analytics-query.js';
import { GROUP_BY, type AnalyticsQuery } from '../../src/domain/analytics/report.js';
import { restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { startTargetServer } from '../../test/support/target-server.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';
import {
  CORPUS_PREFIX,
  CORPUS_SIZE,
  CORPUS_START,
  ensureCorpus,
  PLAYBOOKS,
  rng,
  SERVICES,
  TEAMS,
} from './audit-corpus.js';

const DAY = 86_400_000;

/**
 * GET /v1/analytics over the shared audit corpus (see audit-corpus.ts): windows of 7, 30 and 90
 * days ending anywhere in the corpus, every grouping, a third of them narrowed to a team, a
 * service or a playbook. Measured through the gateway and with the same body sent raw.
 */
export const analyticsSuite: BenchSuite = {
  description: 'analytics report latency over the audit corpus (AUDIT_CORPUS_SIZE events) vs the same aggregation raw',
  async run({ stack, iterations = 200 }) {
    const log = (m: string) => console.error(`[bench:analytics] ${m}`);
    const client = createOpenSearchClientFromEnv(stack.opensearchUrl, { requestTimeout: 600_000 });
    await ensureCorpus(client, log);

    const rand = rng(11);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const span = CORPUS_SIZE * 15_000;
    const queries: AnalyticsQuery[] = Array.from({ length: iterations + 20 }, (_, i) => {
      const days = pick([7, 30, 30, 90]);
      const to = CORPUS_START + days * DAY + Math.floor(rand() * Math.max(0, span - days * DAY));
      const narrow = i % 3 === 0 ? pick(['team', 'service', 'playbook'] as const) : undefined;
      return {
        from: new Date(to - days * DAY).toISOString(),
        to: new Date(to).toISOString(),
        groupBy: pick(GROUP_BY),
        ...(narrow === 'team' ? { team: pick(TEAMS) } : {}),
        ...(narrow === 'service' ? { service: pick(SERVICES) } : {}),
        ...(narrow === 'playbook' ? { playbook: pick(PLAYBOOKS).id } : {}),
      };
    });
    const qs = (q: AnalyticsQuery) =>
      new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();

    const target = await startTargetServer();
    const gateway = await startInterlock(
      { ...stack, auditIndexPrefix: CORPUS_PREFIX },
      { playbooks: { 'restart.yaml': restartPlaybook(target.url) } },
    );
    const viaApi: number[] = [];
    const raw: number[] = [];
    // The gateway's search just ran the same body: the shard request cache would answer it.
    const rawSearch = (q: AnalyticsQuery) =>
      client.search({ index: `${CORPUS_PREFIX}-*`, body: analyticsBody(q) as never, request_cache: false });
    try {
      // Queries repeat from run to run (a fixed seed) and the corpus never changes: start from an
      // empty shard request cache, so every measured report is computed.
      await client.indices.clearCache({ index: `${CORPUS_PREFIX}-*`, request: true });
      // Warm both paths on queries of their own: every measured query is new to the shard request cache.
      for (const q of queries.splice(0, 20)) {
        await gateway.request('GET', `/v1/analytics?${qs(q)}`, { as: 'audrey' });
        await rawSearch(q);
      }
      for (const q of queries) {
        let t = performance.now();
        const res = await gateway.request('GET', `/v1/analytics?${qs(q)}`, { as: 'audrey' });
        if (res.status !== 200) throw new Error(`analytics answered ${res.status}: ${JSON.stringify(res.body)}`);
        viaApi.push(performance.now() - t);
        t = performance.now();
        await rawSearch(q);
        raw.push(performance.now() - t);
      }
    } finally {
      await gateway.stop();
      await target.close();
    }
    report('analytics_p95_ms', percentile(viaApi, 95), 'ms', { runs: viaApi.length, corpus: CORPUS_SIZE, target: 300 });
    report('analytics_p50_ms', percentile(viaApi, 50), 'ms', { runs: viaApi.length });
    report('analytics_raw_p95_ms', percentile(raw, 95), 'ms', { runs: raw.length, corpus: CORPUS_SIZE });
    report('analytics_raw_p50_ms', percentile(raw, 50), 'ms', { runs: raw.length });
    report('analytics_vs_raw_ratio', percentile(viaApi, 95) / percentile(raw, 95), 'ratio');
  },
};
