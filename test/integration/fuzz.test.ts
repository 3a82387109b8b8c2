import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteContract } from '../../src/api/contract.js';
import { PEOPLE, restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/** CI throws a few thousand requests; raise FUZZ_RUNS for a longer soak. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

let target: TargetServer;
let h: Harness;
let sentinel: string;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  const r = responses(h);
  sentinel = await r.open('fuzz-sentinel', { labels: { incident_tag: 'fuzz-sentinel' } });
  await r.pendingApproval(sentinel);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const routes = Object.values(ROUTES) as RouteContract[];
const junkText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    'null',
    '"x"',
    '{"__proto__":{"admin":true}}',
    '\u0000',
    '{"decision":"approve","reason":"ok"',
    'true',
  ),
);
const request = fc.record({
  route: fc.constantFrom(...routes),
  // Path parameters: the sentinel (a real response), look-alikes, and junk.
  id: fc.oneof(fc.constant('SENTINEL'), fc.constant('am-000000000000000000000000'), fc.string({ maxLength: 40 })),
  approvalId: fc.oneof(fc.constant('restart-replica-1'), fc.string({ maxLength: 30 })),
  auth: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom<Person>(...(Object.keys(PEOPLE) as Person[])),
    fc.string({ maxLength: 60 }),
  ),
  body: fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    junkText,
    fc.constant(undefined),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded',
    undefined,
  ),
  query: fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('limit', 'q', 'service', 'phase', 'dryRun', 'incident', 'awaitingApproval'),
        fc.string({ maxLength: 10 }),
      ),
      fc.string({ maxLength: 30 }),
    ),
    { maxLength: 4 },
  ),
  extraHeaders: fc.dictionary(
    fc.constantFrom(
      'x-interlock-signature',
      'x-interlock-source',
      'x-pagerduty-signature',
      'x-interlock-channel',
      'content-length-ish',
    ),
    fc.string({ maxLength: 80 }),
    { maxKeys: 3 },
  ),
});

async function countWorkflows(): Promise<number> {
  let n = 0;
  for await (const _ of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) n++;
  return n;
}

describe('fuzzing every endpoint with malformed input', () => {
  it(`answers ${RUNS} malformed requests without a 5xx, without crashing, and without starting or changing a workflow`, async () => {
    const sentinelBefore = await h.client.workflow.getHandle(`incident-${sentinel}`).query('status');
    await new Promise((res) => setTimeout(res, 1500));
    const workflowsBefore = await countWorkflows();
    const samples = fc.sample(request, { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 42) });
    const failures: string[] = [];
    for (let i = 0; i < samples.length; i += 25) {
      await Promise.all(
        samples.slice(i, i + 25).map(async (s) => {
          const path = s.route.path
            .replace(':id', encodeURIComponent(s.id === 'SENTINEL' ? sentinel : s.id))
            .replace(':approvalId', encodeURIComponent(s.approvalId));
          const qs = new URLSearchParams(s.query).toString();
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(s.extraHeaders)) if (/^[\t\x20-\x7e]*$/.test(v)) headers[k] = v;
          if (s.contentType) headers['content-type'] = s.contentType;
          if (s.auth && s.auth in PEOPLE) headers.authorization = `Bearer ${h.tokens[s.auth as Person]}`;
          else if (s.auth !== undefined && /^[\t\x20-\x7e]*$/.test(s.auth)) headers.authorization = s.auth;
          const res = await fetch(`${h.baseUrl}${path}${qs ? `?${qs}` : ''}`, {
            method: s.route.method.toUpperCase(),
            headers,
            body: s.route.method === 'post' ? s.body : undefined,
          });
          const text = await res.text();
          if (res.status >= 500) failures.push(`${res.status} ${s.route.method} ${path}: ${text.slice(0, 200)}`);
          // Mutations must never be accepted from this noise.
          if (s.route.method === 'post' && res.status < 300 && s.route.path !== '/v1/alerts/pagerduty')
            failures.push(`accepted ${s.route.path} with ${String(s.body).slice(0, 100)}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    // The sentinel response took nothing: at most, refused attempts were recorded in its trail.
    await new Promise((res) => setTimeout(res, 500));
    const sentinelAfter = (await h.client.workflow.getHandle(`incident-${sentinel}`).query('status')) as {
      timeline: Array<{ type: string }>;
      approvals: unknown;
      optOuts: unknown;
      overrides: unknown;
    };
    const before = sentinelBefore as typeof sentinelAfter;
    const added = sentinelAfter.timeline.slice(before.timeline.length).map((e) => e.type);
    expect(added.filter((t) => t !== 'input.rejected')).toEqual([]);
    expect([sentinelAfter.approvals, sentinelAfter.optOuts, sentinelAfter.overrides]).toEqual([
      before.approvals,
      before.optOuts,
      before.overrides,
    ]);
    await new Promise((res) => setTimeout(res, 1500));
    expect(await countWorkflows()).toBe(workflowsBefore);
  }, 600_000);
});
