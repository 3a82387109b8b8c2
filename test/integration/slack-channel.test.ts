import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

/**
 * Slack, end to end, against a local stand-in for Slack's Web API that checks each call as Slack
 * documents it (test/support/fake-slack.ts), with interactions signed exactly as Slack signs them.
 * The request reaches the on-call approver by DM and the channel; a click opens a modal asking
 * for a reason; the submission decides through the workflow like the API; every message about
 * the request is then rewritten without buttons, wherever the decision was taken.
 */
const SECRET = 'slack-signing-secret-for-tests';
const CHANNEL = 'C0INCIDENTS';
let target: TargetServer;
let slack: FakeSlack;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  slack = await startFakeSlack({
    users: {
      U0BOB: { name: 'bob' },
      U0LEE: { name: 'lee' },
      U0ERIN: { name: 'erin' },
      U0AUDREY: { name: 'audrey', email: 'audrey@example.test' },
      // Not in the principals file by Slack id; found through the email on their Slack profile.
      U0FRAN: { name: 'fran', email: 'Fran@Example.test' },
      U0MALLORY: { name: 'mallory', email: 'mallory@elsewhere.test' },
    },
  });
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'lead.yaml': restartPlaybook(target.url, { alertname: 'LeadOnly', tier: 'lead' }).replace(
        'id: restart-replica\n',
        'id: lead-only\n',
      ),
      'quorum.yaml': restartPlaybook(target.url, { alertname: 'Quorum', approvers: 2 }).replace(
        'id: restart-replica\n',
        'id: quorum\n',
      ),
      'expire.yaml': restartPlaybook(target.url, { alertname: 'Expire', approvalTimeout: '1s' }).replace(
        'id: restart-replica\n',
        'id: expire\n',
      ),
    },
    extraPrincipals: [
      // The auditor, as her Slack profile's email finds her.
      { id: 'audrey-slack', name: 'Audrey Auditor', roles: ['auditor'], email: 'audrey@example.test' },
      {
        id: 'fran',
        name: 'Fran Approver',
        roles: ['approver'],
        groups: ['tier1'],
        teams: ['*'],
        email: 'fran@example.test',
      },
    ],
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: {
          timeZone: 'UTC',
          layers: [{ name: 'all', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob'] }],
        },
        lead: {
          timeZone: 'UTC',
          layers: [{ name: 'all', start: '2026-01-01T00:00', handoff: 'daily', people: ['lee'] }],
        },
      },
    }),
    slack: { apiUrl: slack.apiUrl, token: slack.token, signingSecret: SECRET, channel: CHANNEL },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await slack?.close();
  await target?.close();
});

/** POST an interaction to the gateway as Slack does (form body, signed). */
async function send(payload: object, sign: { secret?: string; timestamp?: number; raw?: string } = {}) {
  const body = sign.raw ?? slack.interactionBody(payload);
  const headers = slack.signInteraction(sign.secret ?? SECRET, body, { timestamp: sign.timestamp });
  const res = await fetch(`${h.baseUrl}/v1/integrations/slack/interactions`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined, sent: { body, headers } };
}

/** The messages posted about a request: its channel post and the DMs, with their Slack refs. */
async function slackMessagesFor(id: string, count: number) {
  return vi.waitFor(
    async () => {
      const a = (await r.status(id)).approvals[0];
      const refs = (a?.notified ?? [])
        .flatMap((n: any) => n.deliveries)
        .filter((d: any) => d.channel === 'slack' && d.ok);
      expect(refs.length, `ok Slack deliveries so far; the approval: ${JSON.stringify(a ?? null)}`).toBe(count);
      return {
        approval: a,
        refs: refs.map((d: any) => ({ to: d.to, channel: d.ref.split(':')[0], ts: d.ref.split(':')[1] })),
      };
    },
    // 30 s like the other channel tests: one full-suite CI run on two cores took longer than 10 s.
    { timeout: 30_000, interval: 100 },
  );
}

const buttonsOf = (m: { blocks?: unknown[] } | undefined) =>
  (m?.blocks ?? [])
    .filter((b: any) => b.type === 'actions')
    .flatMap((b: any) => b.elements.map((e: any) => e.action_id));

describe('Slack', () => {
  it('DMs the on-call approver, takes an Approve click with a reason, runs the mitigation and rewrites every message', async () => {
    const id = await r.open('slack-approve');
    const { approval, refs } = await slackMessagesFor(id, 2);
    const dmChannel = slack.callsTo('conversations.open').find((c) => c.args.users === 'U0BOB');
    expect(dmChannel, 'a DM was opened with the on-call approver').toBeDefined();
    const dm = refs.find((x: any) => x.to === 'bob')!;
    expect(refs.map((x: any) => x.to).sort()).toEqual([CHANNEL, 'bob']);
    expect(buttonsOf(slack.message(dm.channel, dm.ts))).toEqual([
      'interlock.approve',
      'interlock.reject',
      'interlock.adjust',
      'interlock.opt-out',
    ]);

    // The click opens a modal (a reason is required); nothing is decided by the click itself.
    const click = await send(
      slack.blockActionsPayload({ user: 'U0BOB', actionId: 'interlock.approve', channel: dm.channel, ts: dm.ts }),
    );
    expect(click.status).toBe(200);
    expect((await r.status(id)).approvals[0].state).toBe('pending');
    expect(slack.views.at(-1)!.view).toMatchObject({ callback_id: 'interlock.decide', title: { text: 'Approve' } });

    const submit = await send(
      slack.viewSubmissionPayload({
        user: 'U0BOB',
        callbackId: 'interlock.decide',
        values: { reason: { value: 'lag confirmed from Slack' } },
      }),
    );
    expect(submit).toMatchObject({ status: 200, body: { response_action: 'clear' } });
    expect((await r.result(id)).phase).toBe('completed');
    expect(target.received.filter((x) => x.path === '/mitigations/restart')).toHaveLength(1);
    const s = await r.status(id);
    expect(s.approvals[0]).toMatchObject({ id: approval.id, state: 'approved' });
    expect(s.approvals[0].decisions[0]).toMatchObject({
      actor: { id: 'bob', channel: 'slack', verified: true },
      reason: 'lag confirmed from Slack',
    });

    // Both messages lose their buttons and say who decided and why.
    for (const ref of refs) {
      const m = slack.message(ref.channel, ref.ts);
      expect(buttonsOf(m), `${ref.to} still has buttons`).toEqual([]);
      expect(JSON.stringify(m!.blocks)).toContain('Approved by Bob Approver via slack: lag confirmed from Slack');
    }
  });

  it('rewrites the Slack messages when the request is decided elsewhere (the API)', async () => {
    const id = await r.open('slack-elsewhere');
    const { approval, refs } = await slackMessagesFor(id, 2);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'reject', reason: 'decided in the API' })).status).toBe(
      200,
    );
    await vi.waitFor(
      () => {
        for (const ref of refs) {
          expect(buttonsOf(slack.message(ref.channel, ref.ts))).toEqual([]);
          expect(JSON.stringify(slack.message(ref.channel, ref.ts)!.blocks)).toContain(
            'Rejected by Bob Approver via api: decided in the API',
          );
        }
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('refreshes the messages as a quorum fills: 1 of 2, buttons still there', async () => {
    const id = await r.open('slack-quorum', { labels: { alertname: 'Quorum' } });
    const { approval, refs } = await slackMessagesFor(id, 2);
    const fields = (ref: { channel: string; ts: string }) => JSON.stringify(slack.message(ref.channel, ref.ts)!.blocks);
    for (const ref of refs) expect(fields(ref)).toContain('*Approvals*\\n0 of 2');
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'first of two' })).status).toBe(200);
    await vi.waitFor(
      () => {
        for (const ref of refs) {
          expect(fields(ref)).toContain('*Approvals*\\n1 of 2');
          expect(buttonsOf(slack.message(ref.channel, ref.ts))).toContain('interlock.approve');
        }
      },
      { timeout: 10_000, interval: 100 },
    );
    await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
  });

  it('maps a Slack member through the email on their profile, and lets them adjust an input within its bounds', async () => {
    const id = await r.open('slack-email-map');
    const { refs } = await slackMessagesFor(id, 2);
    const post = refs.find((x: any) => x.to === CHANNEL)!;
    expect(
      (
        await send(
          slack.blockActionsPayload({
            user: 'U0FRAN',
            actionId: 'interlock.adjust',
            channel: post.channel,
            ts: post.ts,
          }),
        )
      ).status,
    ).toBe(200);
    const modal = slack.views.at(-1)!.view as any;
    const drain = modal.blocks.find((b: any) => b.block_id === 'input:drainSeconds');
    expect(drain?.element).toMatchObject({
      type: 'number_input',
      min_value: '0',
      max_value: '120',
      initial_value: '30',
    });
    expect(modal.blocks.find((b: any) => b.block_id === 'input:instance')?.element.type).toBe('static_select');
    const res = await send(
      slack.viewSubmissionPayload({
        user: 'U0FRAN',
        callbackId: 'interlock.decide',
        values: {
          reason: { value: 'db-2 is the lagging one' },
          'input:instance': { value: 'db-2' },
          'input:drainSeconds': { value: '45' },
        },
      }),
    );
    expect(res.body).toEqual({ response_action: 'clear' });
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.approvals[0].decisions[0]).toMatchObject({
      actor: { id: 'fran', channel: 'slack' },
      inputs: { instance: 'db-2', drainSeconds: 45 },
    });
    expect(target.received.filter((x) => x.path === '/mitigations/restart').at(-1)!.body).toContain('db-2');
    expect(slack.callsTo('users.info').some((c) => c.args.user === 'U0FRAN')).toBe(true);
  });

  describe('refuses, explains and audits', () => {
    it('a forged, stale or replayed signature: 401, nothing decided, the attempt in the trail', async () => {
      const id = await r.open('slack-forged');
      const { refs } = await slackMessagesFor(id, 2);
      const post = refs.find((x: any) => x.to === CHANNEL)!;
      const payload = slack.blockActionsPayload({
        user: 'U0BOB',
        actionId: 'interlock.approve',
        channel: post.channel,
        ts: post.ts,
      });
      const views = slack.views.length;
      expect((await send(payload, { secret: 'not-the-secret' })).status).toBe(401);
      expect((await send(payload, { timestamp: Math.floor(Date.now() / 1000) - 400 })).status).toBe(401);
      const good = await send(payload);
      expect(good.status).toBe(200);
      const again = await fetch(`${h.baseUrl}/v1/integrations/slack/interactions`, {
        method: 'POST',
        headers: good.sent.headers,
        body: good.sent.body,
      });
      expect(again.status).toBe(401);
      expect(await again.text()).toMatch(/replayed/);
      // Only the one genuine click opened a modal.
      expect(slack.views.length).toBe(views + 1);
      // A submission carrying a forged signature decides nothing either.
      const forgedSubmit = await send(
        slack.viewSubmissionPayload({
          user: 'U0BOB',
          callbackId: 'interlock.decide',
          values: { reason: { value: 'forged yes' } },
        }),
        { secret: 'not-the-secret' },
      );
      expect(forgedSubmit.status).toBe(401);
      const s = await vi.waitFor(
        async () => {
          const st = await r.status(id);
          expect(st.timeline.filter((e: any) => e.type === 'input.rejected').length).toBeGreaterThanOrEqual(4);
          return st;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(s.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
      const refused = s.timeline
        .filter((e: any) => e.type === 'input.rejected')
        .map((e: any) => e.summary)
        .join('\n');
      expect(refused).toMatch(/does not match/);
      expect(refused).toMatch(/more than 300 s/);
      expect(refused).toMatch(/replayed/);
      await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
    });

    it('a Slack member mapped to nobody: an ephemeral explanation, no modal, the attempt audited', async () => {
      const id = await r.open('slack-stranger');
      const { refs } = await slackMessagesFor(id, 2);
      const post = refs.find((x: any) => x.to === CHANNEL)!;
      const views = slack.views.length;
      const responses = slack.responses.length;
      expect(
        (
          await send(
            slack.blockActionsPayload({
              user: 'U0MALLORY',
              actionId: 'interlock.approve',
              channel: post.channel,
              ts: post.ts,
            }),
          )
        ).status,
      ).toBe(200);
      expect(slack.views.length).toBe(views);
      expect(slack.responses.slice(responses).map((x) => x.body)).toEqual([
        expect.objectContaining({
          response_type: 'ephemeral',
          text: expect.stringMatching(/not linked to an Interlock person/),
        }),
      ]);
      const s = await vi.waitFor(async () => {
        const st = await r.status(id);
        expect(
          st.timeline.some(
            (e: any) => e.type === 'input.rejected' && /U0MALLORY/.test(e.summary + JSON.stringify(e.actor)),
          ),
        ).toBe(true);
        return st;
      });
      expect(s.approvals[0].decisions).toEqual([]);
      await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
    });

    it('a tier-1 member on a lead-tier request: refused in the modal and ephemerally, nothing decided', async () => {
      const id = await r.open('slack-wrong-tier', { labels: { alertname: 'LeadOnly' } });
      const { refs } = await slackMessagesFor(id, 2);
      // lee is on call for lead: the DM went to lee, the channel got the post.
      expect(refs.map((x: any) => x.to).sort()).toEqual([CHANNEL, 'lee']);
      const post = refs.find((x: any) => x.to === CHANNEL)!;
      expect(
        (
          await send(
            slack.blockActionsPayload({
              user: 'U0BOB',
              actionId: 'interlock.approve',
              channel: post.channel,
              ts: post.ts,
            }),
          )
        ).status,
      ).toBe(200);
      const ephemerals = slack.ephemerals.length;
      const res = await send(
        slack.viewSubmissionPayload({
          user: 'U0BOB',
          callbackId: 'interlock.decide',
          values: { reason: { value: 'I am only tier 1' } },
        }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        response_action: 'errors',
        errors: { reason: expect.stringMatching(/^Refused: .*lead/) },
      });
      // Answered after the modal's response, so it may arrive a moment later.
      await vi.waitFor(() =>
        expect(slack.ephemerals.slice(ephemerals)).toEqual([
          expect.objectContaining({ user: 'U0BOB', channel: CHANNEL, text: expect.stringMatching(/refused/) }),
        ]),
      );
      const s = await r.status(id);
      expect(s.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
      await vi.waitFor(async () =>
        expect(
          (await r.status(id)).timeline.some((e: any) => e.type === 'input.rejected' && e.actor?.id === 'bob'),
        ).toBe(true),
      );
      await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
    });

    it('an expired request: the click is answered ephemerally, no modal', async () => {
      const id = await r.open('slack-expired', { labels: { alertname: 'Expire' } });
      const { refs } = await slackMessagesFor(id, 2);
      const post = refs.find((x: any) => x.to === CHANNEL)!;
      // Clicked on the message as it was first posted (a stale client still shows the buttons).
      const payload = slack.blockActionsPayload({
        user: 'U0BOB',
        actionId: 'interlock.approve',
        channel: post.channel,
        ts: post.ts,
      });
      await vi.waitFor(async () => expect((await r.status(id)).approvals[0].state).toBe('expired'), {
        timeout: 10_000,
      });
      const views = slack.views.length;
      const responses = slack.responses.length;
      expect((await send(payload)).status).toBe(200);
      expect(slack.views.length).toBe(views);
      expect(slack.responses.slice(responses).map((x) => x.body.text)).toEqual([
        expect.stringMatching(/already expired/),
      ]);
      // And the message itself was rewritten: expired, no buttons.
      await vi.waitFor(() => expect(buttonsOf(slack.message(post.channel, post.ts))).toEqual([]), { timeout: 10_000 });
    });
  });

  describe('the /interlock slash command', () => {
    async function command(user: string, text: string, secret = SECRET) {
      const body = new URLSearchParams({
        token: slack.verificationToken,
        team_id: 'T0FAKETEAM',
        channel_id: CHANNEL,
        user_id: user,
        command: '/interlock',
        text,
        response_url: slack.responseUrl(),
        trigger_id: slack.issueTriggerId(),
      }).toString();
      const res = await fetch(`${h.baseUrl}/v1/integrations/slack/commands`, {
        method: 'POST',
        headers: slack.signInteraction(secret, body),
        body,
      });
      const text2 = await res.text();
      return { status: res.status, body: text2 ? (JSON.parse(text2) as any) : undefined };
    }

    it('shows a status, opts out as the mapped person, and refuses a member whose roles do not allow it', async () => {
      const id = await r.open('slack-command');
      await slackMessagesFor(id, 2);
      const status = await command('U0BOB', `status ${id}`);
      expect(status).toMatchObject({ status: 200, body: { response_type: 'ephemeral' } });
      expect(status.body.text).toMatch(/awaiting-approval/);
      expect(status.body.text).toMatch(/waiting for approval restart-replica-1 from tier1/);

      // An auditor only reads: the API would refuse her opt-out, and so does Slack.
      const refused = await command('U0AUDREY', `opt-out ${id} not mine to stop`);
      expect(refused.body.text).toMatch(/^Refused: your roles do not allow you to opt out/);
      expect((await command('U0BOB', `opt-out ${id}`)).body.text).toMatch(/A reason is required/);
      expect((await command('U0MALLORY', `opt-out ${id} stranger`)).body.text).toMatch(/not linked/);
      expect((await command('U0BOB', `opt-out ${id} forged`, 'not-the-secret')).status).toBe(401);

      const done = await command('U0BOB', `opt-out ${id} customers see errors, handling it by hand`);
      expect(done.body.text).toMatch(/^Opted out of/);
      const s = await r.status(id);
      expect(s.optOuts).toEqual([
        expect.objectContaining({
          active: true,
          reason: 'customers see errors, handling it by hand',
          actor: expect.objectContaining({ id: 'bob', channel: 'slack', verified: true }),
        }),
      ]);
      await vi.waitFor(async () =>
        expect(
          (await r.status(id)).timeline.some((e: any) => e.type === 'input.rejected' && e.actor?.id === 'audrey-slack'),
        ).toBe(true),
      );
      expect((await command('U0BOB', 'status am-nope')).body.text).toMatch(/not an incident id/);
      expect((await command('U0BOB', 'dance')).body.text).toMatch(/do not know "dance"/);
      await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
    });

    it('engages the kill switch for a responder (an admin releases it through the API)', async () => {
      const engaged = await command('U0LEE', 'kill-switch database on fire, hands off');
      expect(engaged.body.text).toMatch(/^Kill switch engaged/);
      const controls = await h.request('GET', '/v1/guardrails', { as: 'audrey' });
      expect(controls.body.killSwitch).toMatchObject({
        engaged: true,
        reason: 'database on fire, hands off',
        actor: expect.objectContaining({ id: 'lee', channel: 'slack' }),
      });
      const released = await h.request('DELETE', '/v1/guardrails/kill-switch', {
        as: 'ada',
        body: { reason: 'test over' },
      });
      expect(released.status).toBe(200);
    });
  });
});
