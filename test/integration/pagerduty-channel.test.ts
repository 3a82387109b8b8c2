import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { signPagerDutyV1 } from '../../src/api/auth/signatures.js';
import { pagerDutyChannel } from '../../src/clients/notify/pagerduty.js';
import { onCallLookup } from '../../src/clients/oncall/combined.js';
import { icalFeeds } from '../../src/clients/oncall/ical.js';
import { pagerDutyOnCall } from '../../src/clients/oncall/pagerduty.js';
import { contactDirectory } from '../../src/clients/oncall/people.js';
import type { DeliveryReport } from '../../src/domain/notification/delivery.js';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { oncallEntry, startFakePagerDuty, type FakePagerDuty } from '../support/fake-pagerduty.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { BERLIN_FEED } from '../support/ical-feeds.js';

/**
 * Paging through PagerDuty, against a local stand-in for PagerDuty (test/support/fake-pagerduty.ts,
 * which checks requests as PagerDuty documents them; nothing here reaches pagerduty.com).
 */
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const PAGERDUTY_SECRET = 'test-pagerduty-webhook-secret';
const fixture = (name: string) => JSON.parse(fs.readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

let pd: FakePagerDuty;
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  pd = await startFakePagerDuty();
  // Bob and erin alternate weekly in the feed (the series recur forever): one of them is on call now.
  pd.ical = BERLIN_FEED;
  pd.oncalls = [oncallEntry({ id: 'PLEE', email: 'Lee@Example.com' }, { schedule: 'PSCHED1', level: 1 })];
  target = await startTargetServer();
  const people = contactDirectory(() => [
    { id: 'bob', name: 'Bob Approver', email: 'bob@example.com' },
    { id: 'erin', name: 'Erin Approver', email: 'erin@example.com' },
    { id: 'dana', name: 'Dana Dba' },
    { id: 'lee', name: 'Lee Lead', email: 'lee@example.com' },
  ]);
  const rotation = rotationFileSchema.parse({
    tiers: {
      tier1: { timeZone: 'UTC', pagerduty: { scheduleIds: ['PSCHED1'] }, ical: { url: `${pd.url}/calendar.ics` } },
    },
  });
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'expire.yaml': restartPlaybook(target.url, { alertname: 'Expire', approvalTimeout: '1s' }).replace(
        'id: restart-replica\n',
        'id: expire\n',
      ),
      'from-pagerduty.yaml': restartPlaybook(target.url, { alertname: '"Payments database replication lag"' }).replace(
        'id: restart-replica\n',
        'id: from-pagerduty\n',
      ),
    },
    channels: [pagerDutyChannel({ routingKey: ROUTING_KEY, eventsUrl: pd.url })],
    delivery: { attempts: 3, minRetryMs: 10 },
    onCallLookup: onCallLookup(() => rotation, {
      pagerduty: pagerDutyOnCall({ apiKey: pd.apiKey, apiUrl: pd.url, people }),
      ical: icalFeeds({ people }),
    }),
    links: { gatewayUrl: 'https://interlock.example', consoleUrl: 'https://console.example' },
    extraPrincipals: [
      {
        id: 'pagerduty',
        name: 'PagerDuty',
        roles: ['alert-source'],
        signing: { scheme: 'pagerduty-v1', secretEnv: 'PAGERDUTY_SECRET' },
      },
    ],
    env: { PAGERDUTY_SECRET },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
  await pd?.close();
});
beforeEach(() => {
  pd.failEventsWith = undefined;
});

const eventsFor = (incidentId: string) =>
  pd.events.filter((e) => String(e.body?.dedup_key).startsWith(`interlock:${incidentId}:`));

/** What sendNotification returned, as Temporal recorded it in the response's history. */
async function deliveryReports(incidentId: string): Promise<DeliveryReport[]> {
  const history = await h.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
  const scheduled = new Map<string, string>();
  const reports: DeliveryReport[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const c = e.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === 'sendNotification')
      reports.push(JSON.parse(Buffer.from(c.result!.payloads![0]!.data!).toString('utf8')));
  }
  return reports;
}

describe('PagerDuty channel', () => {
  it('a request pages once (dedup key, severity, links) and goes to who PagerDuty and the iCal feed name', async () => {
    const id = await r.open('pd-page', { labels: { incident_tag: 'pd-page' } });
    const approval = await r.pendingApproval(id);
    await vi.waitFor(() => expect(eventsFor(id)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [event] = eventsFor(id);
    expect(event).toMatchObject({
      status: 202,
      body: {
        event_action: 'trigger',
        dedup_key: `interlock:${id}:${approval.id}`,
        payload: { severity: 'critical', source: 'payments-db', custom_details: { tier: 'tier1', quorum: 1 } },
        links: [
          { href: `https://console.example/incidents/${id}` },
          { href: `https://interlock.example/v1/incidents/${id}` },
        ],
      },
    });
    // PagerDuty's on-call answer (lee) and whoever the feed has on call now (bob or erin), as principals.
    const requested = h.notifications.find((n) => n.incidentId === id && n.kind === 'approval.requested')!;
    const asked = requested.recipients[0]!.people!;
    expect(asked).toContain('lee');
    expect(asked.filter((p) => p === 'bob' || p === 'erin')).toHaveLength(1);
    expect(pd.oncallRequests.at(-1)!.authorization).toBe(`Token token=${pd.apiKey}`);
    const [report] = await deliveryReports(id);
    expect(report!.deliveries).toContainEqual(
      expect.objectContaining({ channel: 'pagerduty', ok: true, ref: `interlock:${id}:${approval.id}` }),
    );

    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'lag confirmed' })).status).toBe(200);
    await vi.waitFor(() => expect(eventsFor(id)).toHaveLength(2), { timeout: 10_000, interval: 50 });
    expect(eventsFor(id)[1]).toMatchObject({
      status: 202,
      body: { event_action: 'resolve', dedup_key: `interlock:${id}:${approval.id}` },
    });
  });

  it('an expired request resolves its page', async () => {
    const id = await r.open('pd-expire', { labels: { alertname: 'Expire', incident_tag: 'pd-expire' } });
    await r.until(id, (s) => s.approvals[0]?.state === 'expired');
    await vi.waitFor(() => expect(eventsFor(id).map((e) => e.body.event_action)).toEqual(['trigger', 'resolve']), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('PagerDuty down: the decision and the other channels go ahead, the failure is in the report', async () => {
    pd.failEventsWith = 500;
    const id = await r.open('pd-down', { labels: { incident_tag: 'pd-down' } });
    const approval = await r.pendingApproval(id);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(h.notifications.filter((n) => n.incidentId === id).map((n) => n.kind)).toEqual([
      'approval.requested',
      'approval.decided',
    ]);
    const reports = await deliveryReports(id);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports.slice(0, 2)) {
      expect(report.deliveries).toContainEqual(
        expect.objectContaining({ channel: 'pagerduty', ok: false, error: expect.stringContaining('HTTP 500') }),
      );
      expect(report.deliveries).toContainEqual(expect.objectContaining({ channel: 'webhook', ok: true }));
    }
    expect(eventsFor(id).filter((e) => e.status === 500).length).toBe(6); // three tries per notification
    expect(JSON.stringify(reports)).not.toContain(ROUTING_KEY);
  });

  it('acknowledging the page in PagerDuty approves nothing: the request stays pending', async () => {
    const triggered = fixture('pagerduty-incident-triggered.json');
    triggered.event.data.incident_key = randomUUID();
    const post = async (payload: unknown) => {
      const raw = JSON.stringify(payload);
      const res = await fetch(`${h.baseUrl}/v1/alerts/pagerduty`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-pagerduty-signature': signPagerDutyV1(PAGERDUTY_SECRET, raw),
        },
        body: raw,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const opened = await post(triggered);
    expect(opened.status).toBe(202);
    const id = opened.body.incidentId as string;
    const approval = await r.pendingApproval(id);
    await vi.waitFor(() => expect(eventsFor(id)).toHaveLength(1), { timeout: 10_000, interval: 50 });

    // The on-call engineer acknowledges the page; PagerDuty sends its v3 webhook to the alert intake.
    const acknowledged = structuredClone(triggered);
    acknowledged.event.id = randomUUID();
    acknowledged.event.event_type = 'incident.acknowledged';
    acknowledged.event.data.status = 'acknowledged';
    expect(await post(acknowledged)).toMatchObject({ status: 202, body: { ignored: true } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const s = await r.status(id);
    expect(s.approvals.find((a: any) => a.id === approval.id)).toMatchObject({ state: 'pending', decisions: [] });
    expect(s.steps.find((x: any) => x.id === 'restart-replica').state).not.toBe('succeeded');
    expect(eventsFor(id)).toHaveLength(1); // no resolve either: nothing was decided
  });
});
