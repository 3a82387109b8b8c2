import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { createAuditStore, indexFor } from '../../src/clients/opensearch/audit-store.js';
import { REFRESH_INTERVAL } from '../../src/clients/opensearch/audit-query.js';
import type { AuditEvent, AuditEventType } from '../../src/domain/audit/event.js';
import { report } from '../metrics.js';

/**
 * The audit corpus the `audit` and `analytics` benchmarks share: seeded once under
 * `audit-bench-*` and reused. Generated as responses would leave it (one lifecycle after
 * another, about 15 s of trail time per event), with the analytics facets, so both search and
 * aggregations meet realistic shapes. Streamed: ten million events never sit in memory.
 */
export const CORPUS_PREFIX = 'audit-bench';
export const CORPUS_SIZE = Number(process.env.AUDIT_CORPUS_SIZE ?? 1_000_000);
export const CORPUS_START = Date.parse('2026-05-01T00:00:00Z');
/** Average trail time per event: the corpus spans CORPUS_SIZE × this. */
const MS_PER_EVENT = 15_000;

export const WORDS = [
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
export const PEOPLE = ['alice', 'bob', 'dana', 'erin', 'lee', 'kim', 'sam', 'ray', 'uma', 'vic'];
export const SERVICES = ['payments-db', 'checkout', 'search', 'orders', 'auth', 'billing', 'cdn', 'queue'];
/** Types the audit search benchmark filters by (each is common in the corpus). */
export const TYPES = [
  'approval.granted',
  'approval.rejected',
  'optout.engaged',
  'mitigation.started',
  'mitigation.succeeded',
  'response.opened',
  'policy.decided',
  'approval.requested',
] as const;
export const TEAMS = ['db', 'edge', 'payments', 'search', 'platform'];
const TIERS = ['tier1', 'sme:postgres', 'lead'];

interface BenchPlaybook {
  id: string;
  team: string;
  service: string;
  steps: Array<{ id: string; action: string; inputs: string[] }>;
}
/** Twenty playbooks over the services, each with one to three mitigations. */
export const PLAYBOOKS: BenchPlaybook[] = Array.from({ length: 20 }, (_, i) => ({
  id: `pb-${['restart', 'failover', 'scale', 'flush', 'drain'][i % 5]}-${SERVICES[i % SERVICES.length]}`,
  team: TEAMS[i % TEAMS.length]!,
  service: SERVICES[i % SERVICES.length]!,
  steps: Array.from({ length: 1 + (i % 3) }, (_, j) => ({
    id: ['restart-replica', 'drain-node', 'scale-out'][j]!,
    action: j === 1 ? 'shell.command' : 'http.request',
    inputs: [['instance', 'drainSeconds'], ['node', 'graceSeconds'], ['replicas']][j]!,
  })),
}));

/** Deterministic pseudo-random numbers, so every seeding run builds the same corpus. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

/** `size` events, response after response, each lifecycle shaped by weighted chances. */
export function* corpus(size: number): Generator<AuditEvent> {
  const rand = rng(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  // Skewed latencies: most decisions in seconds, a long tail of minutes.
  const latency = () => Math.round(4_000 + 60_000 * rand() ** 3 + (rand() < 0.05 ? 600_000 * rand() : 0));
  let i = 0;
  for (let r = 0; i < size; r++) {
    const pb = PLAYBOOKS[Math.floor(rand() ** 1.5 * PLAYBOOKS.length)]!;
    const incidentId = `am-${r.toString(16).padStart(24, '0')}`;
    const opened = CORPUS_START + i * MS_PER_EVENT;
    let sequence = 0;
    let at = opened;
    const emit = (type: AuditEventType, extra: Partial<AuditEvent> = {}, human = false): AuditEvent | undefined => {
      if (i >= size) return undefined;
      const person = human ? pick(PEOPLE) : undefined;
      at += 1_000 + Math.floor(rand() * 20_000);
      const e: AuditEvent = {
        eventId: `bench-${i}`,
        sequence: ++sequence,
        time: new Date(at).toISOString(),
        incidentId,
        workflowId: `incident-${incidentId}`,
        type,
        actor: person
          ? {
              id: person,
              name: `${person[0]!.toUpperCase()}${person.slice(1)} Example`,
              channel: pick(['api', 'slack', 'console', 'temporal-ui'] as const),
            }
          : { id: 'interlock', name: 'Interlock', channel: 'system' },
        summary: `${pick(WORDS)} ${pick(WORDS)} on ${pb.service}`,
        // Every event carries words, as the search benchmark always had them (search load).
        reason: Array.from({ length: 6 + Math.floor(rand() * 10) }, () => pick(WORDS)).join(' '),
        service: pb.service,
        environment: rand() < 0.7 ? 'prod' : 'staging',
        severity: pick(['critical', 'warning', 'info']),
        ...(sequence > 1 ? { playbookId: pb.id, playbookVersion: 1 + (r % 3), team: pb.team } : {}),
        ...extra,
      };
      i += 1;
      return e;
    };
    const events: Array<AuditEvent | undefined> = [emit('response.opened'), emit('playbook.selected')];
    for (const step of pb.steps) {
      const about = { stepId: step.id, actionKind: step.action };
      const roll = rand();
      const mode = roll < 0.3 ? 'auto' : roll < 0.4 ? 'auto-after-objection-window' : 'approval';
      events.push(emit('policy.decided', { ...about, outcome: mode }));
      let runs = mode === 'auto';
      if (mode === 'auto-after-objection-window') {
        const objected = rand() < 0.1;
        events.push(emit(objected ? 'objection.raised' : 'objection.window-passed', about, objected));
        runs = !objected;
      } else if (mode === 'approval') {
        const approvalId = `${step.id}-1`;
        const asked = { ...about, approvalId, tier: pick(TIERS) };
        events.push(emit('approval.requested', asked), emit('notification.delivered', asked));
        if (rand() < 0.1) events.push(emit('approval.escalated', asked));
        const outcome = rand();
        const ms = latency();
        const decided = { ...asked, latencyMs: ms, notifiedLatencyMs: Math.max(0, ms - 800) };
        if (outcome < 0.68) {
          events.push(emit('approval.granted', { ...decided, outcome: 'approved' }, true));
          runs = true;
        } else if (outcome < 0.83) {
          const adjusted = [pick(step.inputs)];
          events.push(emit('approval.adjusted', { ...asked, adjustedInputs: adjusted }, true));
          events.push(emit('approval.granted', { ...decided, outcome: 'approved', adjustedInputs: adjusted }, true));
          runs = true;
        } else if (outcome < 0.91) events.push(emit('approval.rejected', { ...decided, outcome: 'rejected' }, true));
        else if (outcome < 0.96) events.push(emit('approval.expired', { ...asked, outcome: 'expired' }));
        else events.push(emit('optout.engaged', { ...about, outcome: 'halt-now' }, true));
      }
      if (!runs) continue;
      const blocked = rand();
      if (blocked < 0.02) {
        events.push(emit('mitigation.blocked', { ...about, guardrail: blocked < 0.01 ? 'kill-switch' : 'freeze' }));
        continue;
      }
      events.push(emit('mitigation.started', about));
      events.push(emit('mitigation.succeeded', { ...about, mitigatedAfterMs: at - opened + 2_000, outcome: 'ok' }));
      if (rand() < 0.02) events.push(emit('mitigation.compensated', about));
    }
    events.push(emit('response.completed'));
    for (const e of events) if (e) yield e;
  }
}

/**
 * Seed the corpus once with the bulk helper (refresh off, then one refresh and a force merge);
 * later runs reuse it. A corpus from before the analytics facets is replaced.
 */
export async function ensureCorpus(client: OpenSearchClient, log: (m: string) => void): Promise<void> {
  const store = createAuditStore(client, CORPUS_PREFIX);
  await store.installTemplate();
  const index = `${CORPUS_PREFIX}-*`;
  const count = (query?: unknown) =>
    client
      .count({ index, ignore_unavailable: true, allow_no_indices: true, ...(query ? { body: { query } } : {}) })
      .then(
        (r) => r.body.count,
        () => 0,
      );
  const total = await count();
  if (total >= CORPUS_SIZE && (await count({ exists: { field: 'playbookId' } })) > 0)
    return log(`corpus: reusing ${total} events`);
  log(`corpus: seeding ${CORPUS_SIZE} events (once; later runs reuse them)...`);
  await client.indices.delete({ index, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  // No refreshes and an asynchronous translog while seeding: nobody searches the corpus yet.
  await client.cluster.putComponentTemplate({
    name: `${CORPUS_PREFIX}-settings`,
    body: {
      template: {
        settings: {
          number_of_shards: 1,
          number_of_replicas: 0,
          refresh_interval: '-1',
          'translog.durability': 'async',
        },
      },
    },
  });
  const t = Date.now();
  let lastLog = t;
  let done = 0;
  const result = await client.helpers.bulk({
    datasource: (async function* () {
      for (const e of corpus(CORPUS_SIZE)) {
        done += 1;
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          log(`corpus: ${done} events, ${((Date.now() - t) / 1000).toFixed(0)} s`);
        }
        yield e;
      }
    })(),
    onDocument: (doc: AuditEvent) => ({ create: { _index: indexFor(CORPUS_PREFIX, doc.time), _id: doc.eventId } }),
    flushBytes: 5_000_000,
    concurrency: 2,
  });
  if (result.failed > 0) throw new Error(`corpus seeding: ${result.failed} documents failed`);
  const indexed = Date.now();
  await client.indices.putSettings({
    index,
    body: { index: { refresh_interval: REFRESH_INTERVAL, 'translog.durability': 'request' } },
  });
  await client.indices.refresh({ index });
  // Fewer segments: searches then measure the query, not merge debt left by seeding.
  await client.indices.forcemerge({ index, max_num_segments: 1 });
  const seconds = (Date.now() - t) / 1000;
  log(
    `corpus: seeded in ${seconds.toFixed(0)} s (bulk ${((indexed - t) / 1000).toFixed(0)} s, refresh and merge ${((Date.now() - indexed) / 1000).toFixed(0)} s)`,
  );
  report('audit_corpus_seed_s_per_100k', (seconds * 100_000) / CORPUS_SIZE, 's', { corpus: CORPUS_SIZE });
  // The next installTemplate (a worker's start) restores the usual settings for new indices.
  await store.installTemplate();
}
