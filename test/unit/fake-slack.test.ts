import crypto from 'node:crypto';
import { WebClient, type Logger, type WebAPICallError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// The fake is only worth having if it refuses what Slack refuses: these tests drive it with the real
// @slack/web-api client (same URL building, same form encoding) and check both acceptance and refusal.

const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00002';

// The client logs Slack's `[ERROR]` response_metadata lines; refusals are the point here, so stay quiet.
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => 'error' as never,
  setName: () => {},
};

let fake: FakeSlack;
let client: WebClient;
let skewMs = 0; // moves the fake's clock forward for expiry tests

beforeEach(async () => {
  skewMs = 0;
  fake = await startFakeSlack({
    users: { [ALICE]: { email: 'alice@example.com', name: 'alice' }, [BOB]: { name: 'bob' } },
    now: () => Date.now() + skewMs,
  });
  client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger: silent });
});
afterEach(() => fake.close());

/** The Slack error a call was refused with, and Slack's explanation lines. */
async function refusal(call: Promise<unknown>): Promise<{ error: string; messages: string[] }> {
  try {
    await call;
  } catch (err) {
    const data = (err as WebAPICallError & { data?: { error: string; response_metadata?: { messages?: string[] } } })
      .data;
    if (!data) throw err;
    return { error: data.error, messages: data.response_metadata?.messages ?? [] };
  }
  throw new Error('expected the fake to refuse this call');
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const button = (actionId: string, text = 'Approve', extra: Record<string, unknown> = {}) => ({
  type: 'button' as const,
  action_id: actionId,
  text: plain(text),
  value: `${actionId}-value`,
  ...extra,
});
const actions = (...elements: object[]) => [{ type: 'actions', block_id: 'decide', elements }];

async function dm(user = ALICE): Promise<string> {
  return (await client.conversations.open({ users: user })).channel!.id!;
}

describe('fake Slack: messages', () => {
  it('accepts a header, a section with fields and an actions block, then applies chat.update', async () => {
    const channel = await dm();
    const blocks = [
      { type: 'header', text: plain('Approval needed: restart api') },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Incident*\ninc-42' },
          { type: 'mrkdwn', text: '*Risk*\nlow' },
        ],
      },
      ...actions(button('approve', 'Approve', { style: 'primary' }), button('reject', 'Reject', { style: 'danger' })),
    ];
    const posted = await client.chat.postMessage({ channel, text: 'Approval needed', blocks });
    expect(posted.ok).toBe(true);
    expect(posted.channel).toBe(channel);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.calls.at(-1)).toMatchObject({ method: 'chat.postMessage', args: { channel, blocks }, outcome: 'ok' });

    const done = [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by <@U0ALICE001>' } }];
    await client.chat.update({ channel, ts: posted.ts!, text: 'Approved', blocks: done });
    expect(fake.message(channel, posted.ts!)).toMatchObject({ text: 'Approved', blocks: done, updates: 1 });
    expect(fake.messages).toHaveLength(1);

    expect(await refusal(client.chat.update({ channel, ts: '1.000001', text: 'x' }))).toMatchObject({
      error: 'message_not_found',
    });
  });

  it('gives every message a fresh ts', async () => {
    const channel = await dm();
    const ts = await Promise.all(
      [1, 2, 3].map(async (n) => (await client.chat.postMessage({ channel, text: `${n}` })).ts),
    );
    expect(new Set(ts).size).toBe(3);
  });

  it('refuses a 76-character button label but takes 75', async () => {
    const channel = await dm();
    await client.chat.postMessage({ channel, text: 't', blocks: actions(button('ok', 'x'.repeat(75))) });
    const refused = await refusal(
      client.chat.postMessage({ channel, text: 't', blocks: actions(button('ok', 'x'.repeat(76))) }),
    );
    expect(refused.error).toBe('invalid_blocks');
    expect(refused.messages).toEqual([
      '[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ]);
  });

  it('refuses a button style other than primary or danger', async () => {
    const refused = await refusal(
      client.chat.postMessage({
        channel: await dm(),
        text: 't',
        blocks: actions(button('ok', 'OK', { style: 'secondary' })),
      }),
    );
    expect(refused.error).toBe('invalid_blocks');
    expect(refused.messages[0]).toContain('/blocks/0/elements/0/style');
  });

  it('refuses duplicate action_ids in one block', async () => {
    const refused = await refusal(
      client.chat.postMessage({ channel: await dm(), text: 't', blocks: actions(button('go'), button('go')) }),
    );
    expect(refused.error).toBe('invalid_blocks');
    expect(refused.messages[0]).toContain('duplicate action_id');
  });

  it('refuses 51 blocks but takes 50', async () => {
    const channel = await dm();
    const dividers = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    await client.chat.postMessage({ channel, text: 't', blocks: dividers(50) });
    const refused = await refusal(client.chat.postMessage({ channel, text: 't', blocks: dividers(51) }));
    expect(refused).toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'],
    });
  });

  it('refuses unknown block types, empty text, missing content and over-long text', async () => {
    const channel = await dm();
    const blocks = (b: object) => client.chat.postMessage({ channel, text: 't', blocks: [b] as never });
    expect((await refusal(blocks({ type: 'carousel' }))).error).toBe('invalid_blocks');
    expect((await refusal(blocks({ type: 'section', text: plain('') }))).error).toBe('invalid_blocks');
    expect((await refusal(client.chat.postMessage({ channel } as never))).error).toBe('no_text');
    expect((await refusal(client.chat.postMessage({ channel, text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
    expect((await refusal(client.chat.postMessage({ channel: 'D0NOPE', text: 'x' }))).error).toBe('channel_not_found');
  });

  it('posts ephemerals to a member of the conversation only', async () => {
    const channel = await dm();
    const res = await client.chat.postEphemeral({ channel, user: ALICE, text: 'only you' });
    expect(fake.ephemerals).toEqual([{ channel, user: ALICE, text: 'only you', messageTs: res.message_ts }]);
    expect((await refusal(client.chat.postEphemeral({ channel, user: BOB, text: 'x' }))).error).toBe(
      'user_not_in_channel',
    );
  });
});

describe('fake Slack: auth and failures', () => {
  it('answers invalid_auth to a wrong token and not_authed to none', async () => {
    const wrong = new WebClient('xoxb-not-the-one', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    expect((await refusal(wrong.chat.postMessage({ channel: 'C0GENERAL1', text: 'x' }))).error).toBe('invalid_auth');
    const none = new WebClient(undefined, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    expect((await refusal(none.users.info({ user: ALICE }))).error).toBe('not_authed');
  });

  it('accepts JSON bodies with a bearer token, as Slack does, but not a token inside the JSON', async () => {
    const post = (headers: Record<string, string>, body: object) =>
      fetch(`${fake.apiUrl}users.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    expect(await post({ authorization: `Bearer ${fake.token}` }, { user: ALICE })).toMatchObject({ ok: true });
    expect(await post({}, { user: ALICE, token: fake.token })).toEqual({ ok: false, error: 'not_authed' });
  });

  it('fails the next calls of a method on request, then recovers', async () => {
    fake.fail('chat.postMessage', 1);
    fake.fail('chat.postMessage', 1, 'ratelimited');
    const channel = await dm();
    await expect(client.chat.postMessage({ channel, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
    });
    expect((await refusal(client.chat.postMessage({ channel, text: 'x' }))).error).toBe('ratelimited');
    expect((await client.chat.postMessage({ channel, text: 'x' })).ok).toBe(true);
    expect(fake.callsTo('chat.postMessage').map((c) => c.outcome)).toEqual(['http_500', 'ratelimited', 'ok']);
  });
});

describe('fake Slack: people and conversations', () => {
  it('opens one stable D-channel per person', async () => {
    const first = await dm(ALICE);
    expect(first).toMatch(/^D[A-Z0-9]+$/);
    expect(await dm(ALICE)).toBe(first);
    expect(await dm(BOB)).not.toBe(first);
    expect((await refusal(client.conversations.open({ users: 'U0NOBODY00' }))).error).toBe('user_not_found');
  });

  it('users.info returns the configured email', async () => {
    const res = await client.users.info({ user: ALICE });
    expect(res.user).toMatchObject({ id: ALICE, name: 'alice', profile: { email: 'alice@example.com' } });
    expect((await refusal(client.users.info({ user: 'U0NOBODY00' }))).error).toBe('user_not_found');
  });
});

describe('fake Slack: modals', () => {
  const modal = (title = 'Reject restart') => ({
    type: 'modal' as const,
    callback_id: 'reject-reason',
    private_metadata: 'inc-42',
    title: plain(title),
    submit: plain('Reject'),
    blocks: [
      {
        type: 'input' as const,
        block_id: 'reason',
        label: plain('Why?'),
        element: { type: 'plain_text_input' as const, action_id: 'text', multiline: true, max_length: 500 },
      },
    ],
  });

  it('refuses a 25-character modal title with invalid_arguments', async () => {
    const refused = await refusal(
      client.views.open({ trigger_id: fake.issueTriggerId(), view: modal('x'.repeat(25)) }),
    );
    expect(refused).toEqual({
      error: 'invalid_arguments',
      messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
    });
  });

  it('takes a trigger_id once, within 3 seconds', async () => {
    const trigger = fake.issueTriggerId();
    const opened = await client.views.open({ trigger_id: trigger, view: modal() });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'reject-reason' });
    expect((await refusal(client.views.open({ trigger_id: trigger, view: modal() }))).error).toBe(
      'exchanged_trigger_id',
    );

    const late = fake.issueTriggerId();
    skewMs = 3_001;
    expect((await refusal(client.views.open({ trigger_id: late, view: modal() }))).error).toBe('expired_trigger_id');
    expect((await refusal(client.views.open({ trigger_id: '1.2.made-up', view: modal() }))).error).toBe(
      'invalid_trigger_id',
    );
  });

  it('builds a view_submission only for an opened modal and its inputs', async () => {
    await client.views.open({ trigger_id: fake.issueTriggerId(), view: modal() });
    const payload = fake.viewSubmissionPayload({
      user: ALICE,
      callbackId: 'reject-reason',
      values: { reason: { text: 'risky' } },
    });
    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: ALICE, username: 'alice', team_id: expect.any(String) },
      view: {
        type: 'modal',
        callback_id: 'reject-reason',
        private_metadata: 'inc-42',
        state: { values: { reason: { text: { type: 'plain_text_input', value: 'risky' } } } },
      },
    });
    expect(() =>
      fake.viewSubmissionPayload({ user: ALICE, callbackId: 'reject-reason', values: { other: { text: 'x' } } }),
    ).toThrow(/no input other\/text/);
  });
});

describe('fake Slack: interactions', () => {
  it('signs like Slack: v0= hex HMAC-SHA256 over v0:<timestamp>:<raw body>', () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&payload=%7B%7D';
    const byHand = crypto.createHmac('sha256', secret).update(`v0:1531420618:${body}`).digest('hex');
    // The same digest from `openssl dgst -sha256 -hmac`, so the test does not only mirror the fake.
    expect(byHand).toBe('f6957a8bf3a196da511c01c917dee3579c7e98a9e3cb0f7d2aeabeb36096f27c');
    expect(fake.signInteraction(secret, body, { timestamp: 1531420618 })).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': `v0=${byHand}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
  });

  it('builds block_actions for a button the message really has, with a usable response_url', async () => {
    const channel = await dm();
    const { ts } = await client.chat.postMessage({ channel, text: 'Approve?', blocks: actions(button('approve')) });
    const payload = fake.blockActionsPayload({ user: ALICE, actionId: 'approve', channel, ts: ts! });
    expect(payload).toMatchObject({
      type: 'block_actions',
      container: { type: 'message', message_ts: ts, channel_id: channel },
      actions: [{ action_id: 'approve', block_id: 'decide', value: 'approve-value', type: 'button' }],
    });
    const form = new URLSearchParams(fake.interactionBody(payload));
    expect(JSON.parse(form.get('payload')!)).toEqual(payload);
    expect(() => fake.blockActionsPayload({ user: ALICE, actionId: 'nope', channel, ts: ts! })).toThrow();

    const respond = (body: object) =>
      fetch(payload.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await respond({ text: 'Approved', replace_original: true })).status).toBe(200);
    expect(fake.message(channel, ts!)).toMatchObject({ text: 'Approved', updates: 1 });
    expect((await respond({ text: 'x', response_type: 'nobody' })).status).toBe(400);
    for (let i = 0; i < 4; i++) expect((await respond({ text: `use ${i + 2}` })).status).toBe(200);
    expect(await (await respond({ text: 'sixth' })).json()).toEqual({ ok: false, error: 'used_url' });
    expect(fake.responses).toHaveLength(5);

    const stale = fake.responseUrl();
    skewMs = 30 * 60_000 + 1;
    expect((await fetch(stale, { method: 'POST', body: '{"text":"late"}' })).status).toBe(404);
  });
});
