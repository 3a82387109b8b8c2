import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fanOut } from '../../src/clients/notify/fan-out.js';
import { pagerDutyChannel, pagerDutyDedupKey, pagerDutySeverity } from '../../src/clients/notify/pagerduty.js';
import { onCallLookup } from '../../src/clients/oncall/combined.js';
import { pagerDutyOnCall } from '../../src/clients/oncall/pagerduty.js';
import { contactDirectory } from '../../src/clients/oncall/people.js';
import type { Notification } from '../../src/domain/notification/notification.js';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { ConfigError, loadConfig, workerEnvSchema } from '../../src/config/env.js';
import { pagingSetup } from '../../src/worker/paging.js';
import { lostRestart } from '../support/unknown-effect-fixture.js';
import { oncallEntry, startFakePagerDuty, validateEvent, type FakePagerDuty } from '../support/fake-pagerduty.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde'; // 32 characters, as PagerDuty issues them
const people = contactDirectory(() => [
  { id: 'bob', name: 'Bob Approver', email: 'bob@example.com' },
  { id: 'erin', name: 'Erin Approver', email: 'erin@example.com' },
  { id: 'lee', name: 'Lee Lead', email: 'lee@example.com' },
]);

let pd: FakePagerDuty;
beforeAll(async () => {
  pd = await startFakePagerDuty();
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.events.length = 0;
  pd.oncallRequests.length = 0;
  pd.oncalls = [];
  pd.failEventsWith = undefined;
  pd.failOncallsWith = undefined;
  pd.pageSize = 25;
});

const notification: Notification = {
  kind: 'approval.requested',
  id: 'n-1',
  incidentId: 'am-1',
  workflowId: 'incident-am-1',
  title: 'Replication lag',
  service: 'payments-db',
  environment: 'prod',
  severity: 'warning',
  dryRun: false,
  at: '2026-11-23T10:00:00.000Z',
  recipients: [{ tier: 'tier1' }],
  links: { status: 'https://interlock.example/v1/incidents/am-1', console: 'https://console.example/incidents/am-1' },
  approval: {
    id: 'restart-1',
    stepId: 'restart',
    kind: 'approval',
    state: 'pending',
    tier: 'tier1',
    tiers: ['tier1'],
    escalationLevel: 0,
    approversRequired: 2,
    requestedAt: '2026-11-23T10:00:00.000Z',
    expiresAt: '2026-11-23T10:15:00.000Z',
    requestedBy: { id: 'interlock', name: 'Interlock' },
    inputs: { instance: 'db-1' },
    decisions: [],
    context: {
      incidentId: 'am-1',
      title: 'Replication lag',
      service: 'payments-db',
      environment: 'prod',
      severity: 'warning',
      alerts: [],
      action: 'http.request',
      params: { url: 'http://db/restart', headers: { Authorization: 'Bearer playbook-secret' } },
      adjustable: {},
      impact: 'reads fail over for 30 s',
      risk: 'high',
      policySource: 'org default',
      diagnostics: [],
      ifNobodyAnswers: 'it does not run',
      dryRun: false,
    },
  },
};

describe('PagerDuty Events API channel', () => {
  it('pages a mitigation lost with its worker as critical, with what happened and the choices', async () => {
    const channel = pagerDutyChannel({ routingKey: ROUTING_KEY, eventsUrl: pd.url });
    const { approval: _none, ...rest } = notification;
    const needsHuman: Notification = { ...rest, kind: 'mitigation.needs-human', id: 'n-9', unknownEffect: lostRestart };
    const sent = await channel.deliver(needsHuman, []);
    const dedupKey = 'interlock:am-1:restart-replica:1:needs-human';
    expect(sent).toEqual([{ channel: 'pagerduty', to: 'pagerduty', ok: true, at: expect.any(String), ref: dedupKey }]);
    expect(pd.events).toHaveLength(1);
    const event = pd.events[0]!.body;
    expect(validateEvent(event)).toEqual([]);
    expect(event).toMatchObject({
      event_action: 'trigger',
      dedup_key: dedupKey,
      client_url: 'https://console.example/incidents/am-1',
      payload: {
        // The alert said warning; a half-done change to production is not.
        severity: 'critical',
        component: 'restart-replica',
        custom_details: {
          cause: 'heartbeat-timeout',
          parameters: { drainSeconds: 30 },
          choices: [
            expect.stringMatching(/^retry: /),
            expect.stringMatching(/^mark-done: /),
            expect.stringMatching(/^hand-over: /),
          ],
        },
      },
    });
    expect(event.payload.summary).toMatch(/restart-replica \(http\.request\) on payments-db \(prod\).*effect unknown/);
    // The same notice again (a retried delivery) is the same PagerDuty alert.
    await channel.deliver(needsHuman, []);
    expect(pd.events[1]!.body.dedup_key).toBe(dedupKey);
  });

  it('triggers on a request with what PagerDuty documents, and resolves on the decision', async () => {
    const channel = pagerDutyChannel({
      routingKey: ROUTING_KEY,
      eventsUrl: pd.url,
      slackWorkspaceUrl: 'https://acme.slack.com',
    });
    const withSlack = {
      ...notification,
      approval: {
        ...notification.approval!,
        notified: [
          {
            kind: 'approval.requested',
            at: '',
            tier: 'tier1',
            deliveries: [{ channel: 'slack', to: '#incidents', ok: true, at: '', ref: 'C0123:1763892000.000100' }],
          },
        ],
      },
    } as Notification;
    const sent = await channel.deliver(withSlack, []);
    expect(sent).toEqual([
      { channel: 'pagerduty', to: 'pagerduty', ok: true, at: expect.any(String), ref: 'interlock:am-1:restart-1' },
    ]);
    expect(pd.events).toHaveLength(1);
    const event = pd.events[0]!.body;
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'interlock:am-1:restart-1',
      client: 'Interlock',
      client_url: 'https://console.example/incidents/am-1',
      payload: {
        source: 'payments-db',
        severity: 'warning',
        group: 'prod',
        class: 'http.request',
        custom_details: { action: 'http.request', parameters: { instance: 'db-1' }, tier: 'tier1', quorum: 2 },
      },
    });
    expect(event.payload.summary).toMatch(
      /^Approval needed: http\.request .*payments-db.*tier tier1.*until 2026-11-23T10:15/,
    );
    expect(event.links.map((l: any) => l.href)).toEqual([
      'https://console.example/incidents/am-1',
      'https://interlock.example/v1/incidents/am-1',
      'https://acme.slack.com/archives/C0123/p1763892000000100',
    ]);
    expect(JSON.stringify(event)).not.toContain('playbook-secret'); // the step's raw request stays home

    await channel.deliver({ ...notification, kind: 'approval.decided' }, []);
    await channel.deliver({ ...notification, kind: 'approval.expired' }, []);
    expect(pd.events.slice(1).map((e) => [e.status, e.body.event_action, e.body.dedup_key])).toEqual([
      [202, 'resolve', 'interlock:am-1:restart-1'],
      [202, 'resolve', 'interlock:am-1:restart-1'],
    ]);
    expect(await channel.deliver({ ...notification, kind: 'optout.engaged' }, [])).toEqual([]);
  });

  it('keeps the summary within 1024 characters and maps severities to the four PagerDuty knows', async () => {
    const channel = pagerDutyChannel({ routingKey: ROUTING_KEY, eventsUrl: pd.url });
    await channel.deliver({ ...notification, title: 'x'.repeat(3000), severity: 'P1' }, []);
    expect(pd.events[0]).toMatchObject({ status: 202, body: { payload: { severity: 'critical' } } });
    expect(pd.events[0]!.body.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(['critical', 'high', 'error', 'P2', 'warning', 'info', 'low', 'whatever'].map(pagerDutySeverity)).toEqual([
      'critical',
      'critical',
      'error',
      'error',
      'warning',
      'info',
      'info',
      'error',
    ]);
    expect(pagerDutyDedupKey('x'.repeat(300), 'a-1')).toMatch(/^interlock:[0-9a-f]{64}$/);
  });

  it('an invalid event (400) is not retried; 5xx is, and the failure is a Delivery without the key', async () => {
    const bad = pagerDutyChannel({ routingKey: 'too-short', eventsUrl: pd.url });
    const [refused] = await fanOut([bad], notification, [], { attempts: 3, minRetryMs: 1 });
    expect(refused).toMatchObject({
      channel: 'pagerduty',
      ok: false,
      error: expect.stringMatching(/HTTP 400: .*routing_key/),
    });
    expect(pd.events).toHaveLength(1);

    pd.events.length = 0;
    pd.failEventsWith = 500;
    const [down] = await fanOut([pagerDutyChannel({ routingKey: ROUTING_KEY, eventsUrl: pd.url })], notification, [], {
      attempts: 3,
      minRetryMs: 1,
    });
    expect(down).toMatchObject({ ok: false, error: expect.stringContaining('HTTP 500') });
    expect(down!.error).not.toContain(ROUTING_KEY);
    expect(pd.events).toHaveLength(3);
  });

  it('the fake refuses what PagerDuty refuses', () => {
    expect(
      validateEvent({
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'fatal' },
      }),
    ).toEqual(["'payload.severity' is missing or invalid"]);
    expect(validateEvent({ routing_key: ROUTING_KEY, event_action: 'resolve' })).toHaveLength(1);
    expect(validateEvent({ routing_key: ROUTING_KEY, event_action: 'page', dedup_key: 'x'.repeat(256) })).toHaveLength(
      2,
    );
  });
});

describe('PagerDuty on-call API', () => {
  it('asks as documented, follows pages, maps emails, filters the level and caches', async () => {
    let clock = 0;
    const logged: unknown[] = [];
    const client = pagerDutyOnCall({
      apiKey: pd.apiKey,
      apiUrl: pd.url,
      people,
      now: () => clock,
      log: (_m, a) => logged.push(a),
    });
    pd.oncalls = [
      oncallEntry({ id: 'PU1', email: 'BOB@example.com' }, { schedule: 'PSCHED1', level: 1 }),
      oncallEntry({ id: 'PU2', email: 'stranger@example.com' }, { schedule: 'PSCHED1', level: 1 }),
      oncallEntry({ id: 'PU3', email: 'lee@example.com' }, { schedule: 'PSCHED1', level: 2 }),
      oncallEntry({ id: 'PU4', email: 'stranger@example.com' }, { schedule: 'PSCHED1', level: 1 }),
      oncallEntry({ id: 'PU5', email: 'erin@example.com' }, { schedule: 'POTHER', level: 1 }),
    ];
    const source = { scheduleIds: ['PSCHED1'], escalationLevel: 1 };
    expect(await client.peopleFor(source, new Date())).toEqual(['bob']);
    expect(await client.peopleFor({ scheduleIds: ['PSCHED1'] }, new Date())).toEqual(['bob', 'lee']); // cached answer
    const [first] = pd.oncallRequests;
    expect(first!.authorization).toBe(`Token token=${pd.apiKey}`);
    expect(first!.query.getAll('schedule_ids[]')).toEqual(['PSCHED1']);
    expect(first!.query.getAll('include[]')).toEqual(['users']);
    expect(first!.query.get('earliest')).toBe('true');
    expect(first!.query.get('time_zone')).toBe('UTC');
    // One request: Interlock asks for 100 per page (the fake honours `limit`), and the second lookup was cached.
    expect(pd.oncallRequests.map((r) => r.query.get('offset'))).toEqual(['0']);
    expect(logged).toEqual([{ user: 'PU2', email: 'stranger@example.com' }]); // once per unknown email

    clock = 31_000;
    await client.peopleFor({ escalationPolicyIds: ['PPOLICY'] }, new Date());
    expect(pd.oncallRequests.at(-1)!.query.getAll('escalation_policy_ids[]')).toEqual(['PPOLICY']);
  });

  it('follows `more` across pages', async () => {
    const client = pagerDutyOnCall({
      apiKey: pd.apiKey,
      apiUrl: pd.url,
      people,
      fetch: (url, init) => fetch(String(url).replace('limit=100', 'limit=1'), init),
    });
    pd.oncalls = [
      oncallEntry({ id: 'PU1', email: 'bob@example.com' }, { schedule: 'S1' }),
      oncallEntry({ id: 'PU5', email: 'erin@example.com' }, { schedule: 'S1' }),
      oncallEntry({ id: 'PU3', email: 'lee@example.com' }, { schedule: 'S1' }),
    ];
    expect(await client.peopleFor({ scheduleIds: ['S1'] }, new Date())).toEqual(['bob', 'erin', 'lee']);
    expect(pd.oncallRequests.map((r) => r.query.get('offset'))).toEqual(['0', '1', '2']);
  });

  it('a wrong key or an outage is an error (never "nobody"), and the key is in no message', async () => {
    const wrong = pagerDutyOnCall({ apiKey: 'not-the-key', apiUrl: pd.url, people });
    const err = await wrong.peopleFor({ scheduleIds: ['S1'] }, new Date()).catch((e: Error) => e);
    expect(String(err)).toMatch(/HTTP 401/);
    expect(String(err)).not.toContain('not-the-key');
    pd.failOncallsWith = 503;
    await expect(
      pagerDutyOnCall({ apiKey: pd.apiKey, apiUrl: pd.url, people }).peopleFor({ scheduleIds: ['S1'] }, new Date()),
    ).rejects.toThrow(/HTTP 503/);
  });
});

describe('combined on-call lookup', () => {
  const rotation = rotationFileSchema.parse({
    tiers: {
      tier1: {
        timeZone: 'UTC',
        layers: [{ name: 'day', start: '2026-01-01T00:00', handoff: 'daily', people: ['dana'] }],
        overrides: [{ person: 'ada', from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00Z' }],
        pagerduty: { scheduleIds: ['PSCHED1'] },
        ical: { url: 'https://feeds.example/oncall.ics' },
      },
      pdonly: { timeZone: 'UTC', pagerduty: { escalationPolicyIds: ['PPOLICY'] } },
    },
  });
  const fixed = (ids: string[] | Error) => ({
    async peopleFor() {
      if (ids instanceof Error) throw ids;
      return ids;
    },
  });

  it('an override in the file wins; otherwise the sources add up (without repeats)', async () => {
    const lookup = onCallLookup(() => rotation, { pagerduty: fixed(['bob', 'erin']), ical: fixed(['erin', 'lee']) });
    expect(await lookup.peopleFor('tier1', new Date('2026-11-24T12:00:00Z'))).toEqual(['ada']);
    expect((await lookup.peopleFor('tier1', new Date('2026-11-23T12:00:00Z')))!.sort()).toEqual([
      'bob',
      'dana',
      'erin',
      'lee',
    ]);
    expect(await lookup.peopleFor('unknown-tier', new Date())).toBeUndefined();
  });

  it('an unreadable source never passes for nobody', async () => {
    const down = new Error('HTTP 503');
    const partly = onCallLookup(() => rotation, { pagerduty: fixed(down), ical: fixed(['lee']) });
    expect((await partly.peopleFor('tier1', new Date('2026-11-23T12:00:00Z')))!.sort()).toEqual(['dana', 'lee']);
    await expect(
      onCallLookup(() => rotation, { pagerduty: fixed(down) }).peopleFor('pdonly', new Date()),
    ).rejects.toThrow(/PagerDuty: HTTP 503/);
    await expect(onCallLookup(() => rotation, {}).peopleFor('pdonly', new Date())).rejects.toThrow(/PAGERDUTY_API_KEY/);
    expect(await onCallLookup(() => rotation, { pagerduty: fixed([]) }).peopleFor('pdonly', new Date())).toEqual([]);
  });
});

const quiet = { info: () => {}, warn: () => {} };

describe('PagerDuty configuration', () => {
  it('the rotation file accepts PagerDuty and iCal sources, and refuses them half-configured', () => {
    const tier = (extra: object) => rotationFileSchema.safeParse({ tiers: { t: { timeZone: 'UTC', ...extra } } });
    expect(tier({ pagerduty: { scheduleIds: ['PABC123'] }, ical: { url: 'https://x.example/a.ics' } }).success).toBe(
      true,
    );
    expect(tier({ pagerduty: {} }).error?.issues[0]?.message).toMatch(/scheduleIds, escalationPolicyIds or both/);
    expect(tier({ pagerduty: { scheduleIds: ['not an id'] } }).success).toBe(false);
    expect(tier({ ical: { url: 'ftp://x.example/a.ics' } }).success).toBe(false);
  });

  it('reads keys from files, refuses both forms at once, and never prints a key', () => {
    const base = loadConfig(workerEnvSchema, {});
    const files: Record<string, string> = { '/run/secrets/pd-routing': `${ROUTING_KEY}\n` };
    const read = (f: string) => {
      if (!(f in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return Buffer.from(files[f]!);
    };
    const logged: unknown[] = [];
    const setup = pagingSetup(
      { ...base, PAGERDUTY_ROUTING_KEY_FILE: '/run/secrets/pd-routing' },
      () => undefined,
      { info: (a, m) => logged.push([m, a]), warn: (a, m) => logged.push([m, a]) },
      read,
    );
    expect(setup.channels.map((c) => c.name)).toEqual(['pagerduty']);
    expect(JSON.stringify(logged)).not.toContain(ROUTING_KEY);
    const both = () =>
      pagingSetup(
        { ...base, PAGERDUTY_API_KEY: 'k'.repeat(20), PAGERDUTY_API_KEY_FILE: '/x' },
        () => undefined,
        quiet,
        read,
      );
    expect(both).toThrow(ConfigError);
    expect(both).toThrow(/PAGERDUTY_API_KEY or PAGERDUTY_API_KEY_FILE, not both/);
    const short = () => pagingSetup({ ...base, PAGERDUTY_ROUTING_KEY: 'short-secret' }, () => undefined, quiet, read);
    expect(short).toThrow(/32 characters/);
    expect(short).not.toThrow(/short-secret/);
  });
});
