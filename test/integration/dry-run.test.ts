import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderText } from '../../src/clients/notify/render-text.js';
import { incidentLive } from '../../src/console/pages/incident.js';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startSmtpInbox, type SmtpInbox } from '../support/smtp-inbox.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * A dry run through the API, on the real dev server and OpenSearch: every channel tells people it
 * is one, and it reads production only where the playbook says a step is safe to run in a dry run.
 */
let target: TargetServer;
let slack: FakeSlack;
let inbox: SmtpInbox;
let h: Harness;
let r: ReturnType<typeof responses>;

const playbook = (url: string) => `
id: dry-run-rehearsal
version: 1
match: { labels: { alertname: PostgresReplicationLag } }
steps:
  - id: read-metrics
    kind: diagnostic
    safeInDryRun: true
    action: http.request
    params: { method: GET, url: "${url}/diagnostics/safe", timeout: 5s }
  - id: query-database
    kind: diagnostic
    action: http.request
    params: { method: GET, url: "${url}/diagnostics/unsafe", timeout: 5s }
  - id: restart-replica
    kind: mitigation
    risk: high
    action: http.request
    params: { method: POST, url: "${url}/mitigations/restart", timeout: 5s }
    policy: { mode: approval, tier: tier1, timeout: 5m }
  - id: confirm
    kind: verification
    action: http.request
    params: { method: GET, url: "${url}/verify/lag", timeout: 5s }
`;

beforeAll(async () => {
  target = await startTargetServer();
  slack = await startFakeSlack({ users: { U0BOB: { name: 'bob' } } });
  inbox = await startSmtpInbox();
  h = await startHarness({
    playbooks: { 'rehearsal.yaml': playbook(target.url) },
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: {
          timeZone: 'UTC',
          layers: [{ name: 'b', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob'] }],
        },
      },
    }),
    slack: { apiUrl: slack.apiUrl, token: slack.token, signingSecret: 'dry-run-slack-secret' },
    email: { smtpUrl: inbox.url },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await inbox?.close();
  await slack?.close();
  await target?.close();
});

describe('a dry run through the API', () => {
  it('says DRY RUN in every channel, and runs only the diagnostic marked safe', async () => {
    const id = await r.open('dry-run', { labels: { incident_tag: 'dry-run-rehearsal' }, query: '?dryRun=true' });
    expect(id).toMatch(/^dryrun-/);
    const approval = await r.pendingApproval(id);

    // The webhook channel (the harness's notifier) and its plain-text rendering.
    const asked = h.notifications.filter((n) => n.incidentId === id && n.kind === 'approval.requested');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.dryRun).toBe(true);
    expect(renderText(asked[0]!)).toMatch(/^DRY RUN: /);
    // Slack: the DM to the on-call approver.
    const dm = await vi.waitFor(
      () => {
        const m = slack.messages.find((x) => x.channel.startsWith('D') && JSON.stringify(x.blocks).includes(id));
        expect(m).toBeDefined();
        return m!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect((dm.blocks as Array<{ type: string; text?: { text: string } }>)[0]!.text!.text).toMatch(/^DRY RUN: /);
    expect(dm.text).toMatch(/^DRY RUN: /);
    // Email: subject and first line.
    const mail = await vi.waitFor(
      () => {
        const m = inbox.received.find((x) => x.parsed.headers.get('x-interlock-incident') === id);
        expect(m).toBeDefined();
        return m!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(mail.parsed.subject).toMatch(/^\[Interlock\] DRY RUN: approve restart-replica/);
    expect(mail.parsed.text).toMatch(/^DRY RUN: /);

    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'rehearsal' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.dryRun).toBe(true);
    expect(s.steps.map((x: any) => [x.id, x.state])).toEqual([
      ['read-metrics', 'succeeded'],
      ['query-database', 'simulated'],
      ['restart-replica', 'simulated'],
      ['confirm', 'simulated'],
    ]);
    expect(r.types(s).filter((t) => t === 'step.simulated')).toHaveLength(2);
    // What reached the target: the safe read only.
    expect(target.requestsTo('/diagnostics/safe')).toHaveLength(1);
    expect(target.requestsTo('/diagnostics/unsafe')).toHaveLength(0);
    expect(target.requestsTo('/verify/lag')).toHaveLength(0);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(0);
    // The console's page of it says so before anything else.
    expect(String(incidentLive(s))).toMatch(/^<p class="dry-run" data-dry-run>\s*DRY RUN/);
  });
});
