import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let incident: string;
const word = `zq${Date.now().toString(36)}`; // a word no other test uses

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  r = responses(h);
  // One response with a rich trail: an objection-free approval with a reason full of markup,
  // a hand-over opt-out, notes, and a resolution.
  incident = await r.open('audit', { labels: { incident_tag: `audit-${word}` } });
  const approval = await r.pendingApproval(incident);
  await h.request('POST', `/v1/incidents/${incident}/approvals/${approval.id}`, {
    as: 'bob',
    headers: { 'x-interlock-channel': 'slack' },
    body: { decision: 'reject', reason: `${word} replica <script>alert(1)</script> is fine` },
  });
  await r.result(incident);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const search = (qs: string, as: Person = 'audrey') => h.request('GET', `/v1/audit/search?${qs}`, { as });

describe('audit search', () => {
  it('finds events by all the words of a reason, with filters and HTML-escaped highlights', async () => {
    const res = await search(`q=${encodeURIComponent(`${word} replica`)}&incident=${incident}`);
    expect(res.status).toBe(200);
    expect(res.body.events).toHaveLength(1);
    const event = res.body.events[0];
    expect(event).toMatchObject({ type: 'approval.rejected', actor: { id: 'bob', channel: 'slack' } });
    expect(event.highlight.reason[0]).toContain(`<mark>${word}</mark>`);
    expect(event.highlight.reason[0]).toContain('&lt;script&gt;');
    expect(event.highlight.reason[0]).not.toContain('<script>');
    // AND by default: a word that is not there means no match.
    expect((await search(`q=${encodeURIComponent(`${word} database`)}`)).body.total).toBe(0);
    // Filters narrow; each one applies.
    expect((await search(`q=${word}&channel=slack`)).body.total).toBe(1);
    expect((await search(`q=${word}&channel=api`)).body.total).toBe(0);
    expect(
      (await search(`q=${word}&actor=bob&type=approval.rejected&service=payments-db&environment=prod`)).body.total,
    ).toBe(1);
    expect((await search(`q=${word}&from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z`)).body.total).toBe(0);
  });

  it('sorts, counts facets, and pages stably through everything with a cursor', async () => {
    const all = await search(`incident=${incident}&sort=oldest&limit=200`);
    const total = all.body.total;
    expect(total).toBeGreaterThan(5);
    const times = all.body.events.map((e: any) => e.time);
    expect([...times].sort()).toEqual(times);
    expect(all.body.facets.types).toEqual(
      expect.arrayContaining([
        { key: 'approval.rejected', count: 1 },
        { key: 'response.opened', count: 1 },
      ]),
    );
    expect(all.body.facets.actors).toEqual(expect.arrayContaining([{ key: 'bob', count: 1 }]));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search(`incident=${incident}&sort=oldest&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e: any) => e.eventId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(all.body.events.map((e: any) => e.eventId));
    expect(new Set(seen).size).toBe(total);
  });

  it.each([
    ['an unbalanced quote', 'q=%22replica', /unbalanced double quote/],
    ['a huge page size', 'limit=100000', /at most 200/],
    ['an unknown filter', 'colour=red', /colour/],
    ['an unknown event type', 'type=approval.maybe', /type/],
    ['a bad time', 'from=yesterday', /ISO 8601/],
    ['a range the wrong way round', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', /from must not be after to/],
    ['a forged cursor', 'cursor=bm9wZQ', /cursor is not one this service issued/],
  ])('refuses %s with 400 and a message', async (_what, qs, message) => {
    const res = await search(qs);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('never turns query syntax into a server error', async () => {
    for (const q of ['+-|*((', 'a AND OR b', '~~~', '"', '\\', 'replica*~2^3']) {
      const res = await search(`q=${encodeURIComponent(q)}`);
      expect([200, 400]).toContain(res.status);
    }
  });

  it('refuses a cursor replayed with other filters', async () => {
    const first = await search(`incident=${incident}&limit=1&sort=oldest`);
    const replayed = await search(`incident=${incident}&limit=1&sort=newest&cursor=${first.body.nextCursor}`);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error.message).toMatch(/different query/);
  });

  it('lets auditors read and export, refuses them every write, and refuses alert sources', async () => {
    const as = { as: 'audrey' as const };
    // Reads: the list, the live status, the ordered trail, search, export and verification.
    const list = await h.request('GET', '/v1/incidents?limit=5', as);
    expect(list.status).toBe(200);
    expect(list.body.incidents.length).toBeGreaterThan(0);
    const status = await h.request('GET', `/v1/incidents/${incident}`, as);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      incidentId: incident,
      approvals: [{ state: 'rejected', decisions: [{ reason: expect.stringContaining(word) }] }],
    });
    const timeline = await h.request('GET', `/v1/incidents/${incident}/timeline`, as);
    expect(timeline.status).toBe(200);
    expect(timeline.body.events.map((e: any) => e.eventId)).toEqual(status.body.timeline.map((e: any) => e.eventId));
    const found = await search(`q=${word}`);
    expect(found.status).toBe(200);
    expect(found.body.events).toEqual([
      expect.objectContaining({
        incidentId: incident,
        type: 'approval.rejected',
        reason: expect.stringContaining(word),
      }),
    ]);
    const ndjson = await h.request('GET', `/v1/audit/export?incident=${incident}`, as);
    expect(ndjson.status).toBe(200);
    const exported = String(ndjson.body)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(exported.map((e) => e.eventId)).toEqual(status.body.timeline.map((e: any) => e.eventId));
    expect(exported.find((e) => e.type === 'approval.rejected')).toMatchObject({
      actor: { id: 'bob' },
      reason: expect.stringContaining(word),
    });
    const csv = await h.request('GET', `/v1/audit/export?incident=${incident}&format=csv&type=approval.rejected`, as);
    expect(csv.status).toBe(200);
    expect(String(csv.body).trim().split('\n')).toEqual([
      expect.stringMatching(/^time,incidentId,type,/),
      expect.stringContaining(`${word} replica`),
    ]);
    expect((await h.request('GET', `/v1/audit/verify?incident=${incident}`, as)).body).toMatchObject({ intact: true });

    // Writes, each well-formed (a responder would get 409: the response has ended), all refused.
    const writes: Array<[string, string, unknown]> = [
      [
        'POST',
        `/v1/incidents/${incident}/approvals/restart-replica-1`,
        { decision: 'approve', reason: 'auditors may not' },
      ],
      ['POST', `/v1/incidents/${incident}/opt-out`, { reason: 'auditors may not' }],
      ['POST', `/v1/incidents/${incident}/opt-in`, { reason: 'auditors may not' }],
      [
        'POST',
        `/v1/incidents/${incident}/overrides`,
        { type: 'skip-step', stepId: 'restart-replica', reason: 'auditors may not' },
      ],
      ['POST', `/v1/incidents/${incident}/notes`, { text: 'auditors may not' }],
      ['POST', `/v1/incidents/${incident}/resolve`, { summary: 'auditors may not' }],
      ['POST', `/v1/incidents/${incident}/cancel`, { reason: 'auditors may not' }],
      ['POST', '/v1/guardrails/kill-switch', { reason: 'auditors may not' }],
      ['POST', '/v1/guardrails/pauses', { selector: { service: 'payments-db' }, reason: 'auditors may not' }],
      ['POST', '/v1/alerts/generic', { dedupKey: 'auditor', title: 'auditors may not' }],
    ];
    for (const [method, url, body] of writes)
      expect([method, url, (await h.request(method, url, { ...as, body })).status]).toEqual([method, url, 403]);
    expect(
      (
        await h.request('POST', `/v1/incidents/${incident}/notes`, {
          as: 'alice',
          body: { text: 'a responder is let in' },
        })
      ).status,
    ).toBe(409);
    const after = await h.request('GET', `/v1/incidents/${incident}`, as);
    expect(after.body.timeline.length).toBe(status.body.timeline.length);
    expect((await h.request('GET', '/v1/guardrails', as)).body).toMatchObject({
      killSwitch: expect.not.objectContaining({ engaged: true }),
      pauses: [],
    });

    // Alert sources read nothing.
    expect((await search(`q=${word}`, 'alertmanager')).status).toBe(403);
    expect((await h.request('GET', `/v1/audit/export?incident=${incident}`, { as: 'alertmanager' })).status).toBe(403);
    expect((await h.request('GET', `/v1/incidents/${incident}`, { as: 'alertmanager' })).status).toBe(403);
  });
});

describe('export, timeline and verification', () => {
  it('streams every matching event as NDJSON and as CSV', async () => {
    const total = (await search(`incident=${incident}&limit=1`)).body.total;
    const ndjson = await fetch(`${h.baseUrl}/v1/audit/export?incident=${incident}`, {
      headers: { authorization: `Bearer ${h.tokens.audrey}` },
    });
    expect(ndjson.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = (await ndjson.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(total);
    expect(lines.map((e) => e.sequence)).toEqual([...lines.map((e) => e.sequence)].sort((a, b) => a - b));

    const csv = await fetch(`${h.baseUrl}/v1/audit/export?incident=${incident}&format=csv&q=${word}`, {
      headers: { authorization: `Bearer ${h.tokens.audrey}` },
    });
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toBe(
      'time,incidentId,type,actorId,actorName,channel,reason,summary,stepId,approvalId,action,outcome,eventId,causedBy',
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain(`${word} replica <script>alert(1)</script> is fine`);
  });

  it('gives the ordered trail of one response', async () => {
    const res = await h.request('GET', `/v1/incidents/${incident}/timeline`, { as: 'audrey' });
    expect(res.status).toBe(200);
    expect(res.body.events[0].type).toBe('response.opened');
    expect(res.body.events.at(-1).type).toBe('response.completed');
    expect(res.body.events.map((e: any) => e.sequence)).toEqual(res.body.events.map((_: unknown, i: number) => i + 1));
    expect(
      (await h.request('GET', '/v1/incidents/am-000000000000000000000000/timeline', { as: 'audrey' })).status,
    ).toBe(404);
  });

  it('verifies the hash chain, and finds a document edited directly in OpenSearch', async () => {
    const intact = await h.request('GET', `/v1/audit/verify?incident=${incident}`, { as: 'audrey' });
    expect(intact.body).toMatchObject({ incidentId: incident, intact: true, chains: 1 });

    // Someone with OpenSearch access softens a rejection reason.
    const events = (await h.request('GET', `/v1/incidents/${incident}/timeline`, { as: 'audrey' })).body.events;
    const target = events.find((e: any) => e.type === 'approval.rejected');
    await h.opensearch.update({
      index: indexFor(inject('auditIndexPrefix'), target.time),
      id: target.eventId,
      body: { doc: { reason: 'approved after all' } },
      refresh: true,
    });

    const broken = await h.request('GET', `/v1/audit/verify?incident=${incident}`, { as: 'audrey' });
    expect(broken.body).toMatchObject({
      intact: false,
      firstBroken: { eventId: target.eventId, sequence: target.sequence, problem: expect.stringContaining('changed') },
    });
    expect((await h.request('GET', '/v1/audit/verify?incident=nope', { as: 'audrey' })).status).toBe(400);
  });

  it('finds the newest events deleted directly in OpenSearch (a truncated trail)', async () => {
    // A response of its own: the one above was already tampered with.
    const other = await r.open('truncate', { labels: { incident_tag: `truncate-${word}` } });
    const approval = await r.pendingApproval(other);
    await h.request('POST', `/v1/incidents/${other}/approvals/${approval.id}`, {
      as: 'bob',
      body: { decision: 'reject', reason: 'not today' },
    });
    await r.result(other);
    const verify = () => h.request('GET', `/v1/audit/verify?incident=${other}`, { as: 'audrey' });
    const intact = await verify();
    expect(intact.body).toMatchObject({ incidentId: other, intact: true, chains: 1, head: { checked: true } });

    // Someone with OpenSearch access removes the last two events: what is left is a valid chain.
    const events = (await h.request('GET', `/v1/incidents/${other}/timeline`, { as: 'audrey' })).body.events;
    expect(events.at(-1).type).toBe('response.completed');
    const removed = events.slice(-2);
    for (const e of removed)
      await h.opensearch.delete({ index: indexFor(inject('auditIndexPrefix'), e.time), id: e.eventId, refresh: true });
    expect((await h.request('GET', `/v1/incidents/${other}/timeline`, { as: 'audrey' })).body.events).toHaveLength(
      events.length - 2,
    );

    const truncated = await verify();
    expect(truncated.status).toBe(200);
    expect(truncated.body).toMatchObject({
      intact: false,
      events: events.length - 2,
      firstBroken: {
        eventId: removed[0].eventId,
        sequence: removed[0].sequence,
        problem: expect.stringContaining('newest events were removed'),
      },
      head: { checked: true },
    });
  });
});
