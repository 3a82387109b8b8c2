import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { startSmtpInbox, type SmtpInbox } from '../support/smtp-inbox.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * The whole path, every channel at once: an alert opens a response; the approver on call gets a
 * Slack DM and an email; they approve in Slack with a reason; the mitigation runs; the Slack
 * message and the email's page both show the request decided, by whom and why. Slack is the
 * local stand-in for its Web API; the mail goes through a real SMTP server.
 */
const SECRET = 'e2e-slack-signing-secret';
const LINK = /(\/v1\/integrations\/email\/decisions\/[A-Za-z0-9_-]{43,})/;
let target: TargetServer;
let slack: FakeSlack;
let inbox: SmtpInbox;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  slack = await startFakeSlack({ users: { U0ERIN: { name: 'erin' } } });
  inbox = await startSmtpInbox();
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url) },
    // erin is on call for tier1 (bob is not: he must get nothing).
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: {
          timeZone: 'UTC',
          layers: [{ name: 'e', start: '2026-01-01T00:00', handoff: 'daily', people: ['erin'] }],
        },
      },
    }),
    slack: { apiUrl: slack.apiUrl, token: slack.token, signingSecret: SECRET },
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

async function interact(payload: object) {
  const body = slack.interactionBody(payload);
  const res = await fetch(`${h.baseUrl}/v1/integrations/slack/interactions`, {
    method: 'POST',
    headers: slack.signInteraction(SECRET, body),
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('channels end to end', () => {
  it('Slack DM and email to the on-call approver; approved in Slack; both show it decided', async () => {
    const t0 = Date.now();
    const id = await r.open('e2e-channels');
    // The DM and the mail reach erin, and only erin.
    const dm = await vi.waitFor(
      () => {
        const m = slack.messages.find((x) => x.channel.startsWith('D') && JSON.stringify(x.blocks).includes(id));
        expect(m).toBeDefined();
        return m!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(slack.callsTo('conversations.open').map((c) => c.args.users)).toEqual(['U0ERIN']);
    const mail = await vi.waitFor(
      () => {
        const m = inbox.received.find((x) => x.parsed.headers.get('x-interlock-incident') === id);
        expect(m).toBeDefined();
        return m!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(mail.to).toEqual(['erin@example.test']);
    expect(inbox.received.filter((x) => x.to.includes('bob@example.test'))).toEqual([]);
    const link = LINK.exec(mail.parsed.text ?? '')![1]!;
    const s1 = await r.status(id);
    // The request records who was asked, where, and that it arrived.
    const sent = s1.approvals[0].notified[0];
    expect(sent).toMatchObject({ kind: 'approval.requested', tier: 'tier1', people: ['erin'] });
    expect(
      sent.deliveries
        .filter((d: any) => d.ok)
        .map((d: any) => `${d.channel}:${d.to}`)
        .sort(),
    ).toEqual(['email:erin', 'slack:erin', 'webhook:*']);
    expect(Date.now() - t0).toBeLessThan(30_000);

    // Approve in Slack, with a reason.
    expect(
      (
        await interact(
          slack.blockActionsPayload({ user: 'U0ERIN', actionId: 'interlock.approve', channel: dm.channel, ts: dm.ts }),
        )
      ).status,
    ).toBe(200);
    const submit = await interact(
      slack.viewSubmissionPayload({
        user: 'U0ERIN',
        callbackId: 'interlock.decide',
        values: { reason: { value: 'lag confirmed on the dashboard' } },
      }),
    );
    expect(JSON.parse(submit.text)).toEqual({ response_action: 'clear' });
    expect((await r.result(id)).phase).toBe('completed');
    expect(
      target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes('"instance":"db-1"')).length,
    ).toBeGreaterThan(0);

    // The Slack message: decided, no buttons, who and why.
    await vi.waitFor(() => {
      const m = slack.message(dm.channel, dm.ts)!;
      expect(JSON.stringify(m.blocks)).toContain('Approved by Erin Approver via slack: lag confirmed on the dashboard');
      expect(m.blocks!.some((b: any) => b.type === 'actions')).toBe(false);
    });
    // The email's page: decided, who and why, and no form to decide again.
    const page = await fetch(`${h.baseUrl}${link}`);
    const html = await page.text();
    expect(html).toMatch(/Approved/);
    expect(html).toContain('Erin Approver');
    expect(html).toContain('lag confirmed on the dashboard');
    expect(html).not.toMatch(/<form[^>]*method="post"/i);
    // And the link cannot decide anything now.
    const late = await fetch(`${h.baseUrl}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=reject&reason=too+late',
    });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect((await r.status(id)).approvals[0].decisions).toHaveLength(1);
  });
});
