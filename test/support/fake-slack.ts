/**
 * A local HTTP server standing in for the Slack Web API (Slack cannot be reached from the test
 * machines). It is a fake, not Slack: it models only the methods Interlock calls, but it CHECKS each
 * request the way Slack's documentation describes (auth, required arguments, Block Kit limits,
 * modal limits, trigger_id lifetime, response_url use limits) and answers with Slack's documented
 * error codes, so a test fails when our code sends something Slack would refuse.
 *
 * Point a real client at it: `new WebClient(fake.token, { slackApiUrl: fake.apiUrl })`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkMessageBlocks, checkModalView } from './fake-slack-blocks.js';
import { interactions } from './fake-slack-interactions.js';

type Obj = Record<string, unknown>;

export interface FakeSlackUser {
  email?: string;
  name?: string;
}

export interface FakeSlackOptions {
  /** The bot token the fake accepts (default `xoxb-` + random). */
  token?: string;
  /** Workspace members by Slack member id (`U…`). */
  users?: Record<string, FakeSlackUser>;
  /** Clock in ms, for trigger_id and response_url expiry tests (default Date.now). */
  now?: () => number;
}

export interface SlackCall {
  method: string;
  /** Arguments as Slack parsed them: `blocks`/`view` decoded from JSON; the token left out. */
  args: Obj;
  at: number;
  /** `ok`, or the error code the fake answered with. */
  outcome: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  /** How many times chat.update (or a response_url replace_original) changed it. */
  updates: number;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  messageTs: string;
}

export interface OpenedView {
  id: string;
  triggerId: string;
  view: Obj;
}

export interface ResponseUrlPost {
  id: string;
  body: Obj;
  at: number;
}

/** A Slack error answer: HTTP 200 with `{ ok: false, error }`, as the Web API does. */
class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Obj = {},
  ) {
    super(error);
  }
}

const invalid = (error: string, problems: string[]) =>
  new SlackApiError(error, { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });

export const FAKE_TEAM_ID = 'T0FAKETEAM';
export const FAKE_APP_ID = 'A0FAKEAPP';
export const FAKE_BOT_USER_ID = 'U0FAKEBOT';
const BOT_ID = 'B0FAKEBOT';
/** Slack documents 3 s for trigger_id; 5 uses within 30 min for response_url. */
const TRIGGER_TTL_MS = 3_000;
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** chat.postMessage: text beyond 40,000 characters is refused with msg_too_long. */
const MAX_TEXT = 40_000;

export async function startFakeSlack(options: FakeSlackOptions = {}) {
  const token = options.token ?? `xoxb-${crypto.randomBytes(12).toString('hex')}`;
  const users = options.users ?? {};
  const now = options.now ?? Date.now;
  const calls: SlackCall[] = [];
  const messages: StoredMessage[] = [];
  const ephemerals: StoredEphemeral[] = [];
  const views: OpenedView[] = [];
  const responses: ResponseUrlPost[] = [];
  const triggers = new Map<string, { issuedAt: number; used: boolean }>();
  const responseUrls = new Map<string, { issuedAt: number; uses: number; channel?: string; ts?: string }>();
  const dmByUser = new Map<string, string>();
  const failures = new Map<string, Array<string | undefined>>();
  let seq = 0;
  const id = (prefix: string) => `${prefix}0F${(++seq).toString(36).toUpperCase().padStart(6, '0')}`;
  // Unique and increasing like Slack's "<seconds>.<6 digits>"; the counter keeps same-second posts apart.
  const newTs = () => `${Math.floor(now() / 1000)}.${String(++seq % 1e6).padStart(6, '0')}`;

  const knownUser = (user: unknown): string => {
    if (typeof user !== 'string' || !(user in users)) throw new SlackApiError('user_not_found');
    return user;
  };
  const dmOf = (user: string) => {
    if (!dmByUser.has(user)) dmByUser.set(user, id('D'));
    return dmByUser.get(user)!;
  };
  const resolveChannel = (channel: unknown): string => {
    if (typeof channel !== 'string' || channel === '') throw new SlackApiError('channel_not_found');
    // chat.postMessage accepts a member id and posts to the app's DM with them.
    if (/^[UW]/.test(channel) && channel in users) return dmOf(channel);
    if (channel.startsWith('D') && [...dmByUser.values()].includes(channel)) return channel;
    if (/^[CG][A-Z0-9]{2,}$/.test(channel)) return channel; // public/private channels are not modelled
    throw new SlackApiError('channel_not_found');
  };
  /** Text and blocks as chat.* methods check them; `requireContent`: one of text/blocks is required. */
  const checkContent = (args: Obj, requireContent: boolean) => {
    const { text, blocks } = args;
    if (text !== undefined && typeof text !== 'string') throw new SlackApiError('invalid_arguments');
    if (typeof text === 'string' && [...text].length > MAX_TEXT) throw new SlackApiError('msg_too_long');
    if (blocks !== undefined) {
      const problems = checkMessageBlocks(blocks);
      if (problems.length) throw invalid('invalid_blocks', problems);
    }
    const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
    if (requireContent && !text && !hasBlocks && args.attachments === undefined) throw new SlackApiError('no_text');
  };
  const messageJson = (m: StoredMessage) => ({
    type: 'message',
    user: FAKE_BOT_USER_ID,
    bot_id: BOT_ID,
    app_id: FAKE_APP_ID,
    team: FAKE_TEAM_ID,
    ts: m.ts,
    text: m.text ?? '',
    ...(m.blocks ? { blocks: m.blocks } : {}),
  });

  const methods: Record<string, (args: Obj) => Obj> = {
    'conversations.open': (args) => {
      if (typeof args.users !== 'string' || args.users === '') throw new SlackApiError('users_list_not_supplied');
      const members = args.users.split(',').map((u) => knownUser(u.trim()));
      if (members.length !== 1) throw new SlackApiError('not_implemented_by_fake', { detail: 'only 1:1 DMs' });
      return { channel: { id: dmOf(members[0]!) } };
    },
    'chat.postMessage': (args) => {
      const channel = resolveChannel(args.channel);
      checkContent(args, true);
      const message: StoredMessage = { channel, ts: newTs(), updates: 0 };
      if (typeof args.text === 'string') message.text = args.text;
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      messages.push(message);
      return { channel, ts: message.ts, message: messageJson(message) };
    },
    'chat.update': (args) => {
      const channel = resolveChannel(args.channel);
      const message = messages.find((m) => m.channel === channel && m.ts === args.ts);
      if (!message) throw new SlackApiError('message_not_found');
      checkContent(args, true);
      if (typeof args.text === 'string') message.text = args.text;
      // Documented: blocks left out are retained; an empty array removes them.
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      message.updates += 1;
      return { channel, ts: message.ts, text: message.text ?? '', message: messageJson(message) };
    },
    'chat.postEphemeral': (args) => {
      const channel = resolveChannel(args.channel);
      const user = knownUser(args.user);
      if (channel.startsWith('D') && dmByUser.get(user) !== channel) throw new SlackApiError('user_not_in_channel');
      checkContent(args, true);
      const messageTs = newTs();
      ephemerals.push({ channel, user, messageTs, text: args.text as string, blocks: args.blocks as unknown[] });
      return { message_ts: messageTs };
    },
    'views.open': (args) => {
      if (args.view === undefined || (args.trigger_id === undefined && args.interactivity_pointer === undefined)) {
        throw new SlackApiError('invalid_arguments');
      }
      const problems = checkModalView(args.view);
      if (problems.length) throw invalid('invalid_arguments', problems);
      const triggerId = String(args.trigger_id ?? args.interactivity_pointer);
      const trigger = triggers.get(triggerId);
      if (!trigger) throw new SlackApiError('invalid_trigger_id');
      if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
      if (now() - trigger.issuedAt > TRIGGER_TTL_MS) throw new SlackApiError('expired_trigger_id');
      trigger.used = true;
      const view = { id: id('V'), team_id: FAKE_TEAM_ID, app_id: FAKE_APP_ID, bot_id: BOT_ID, state: { values: {} } };
      const opened = { ...(args.view as Obj), ...view, hash: `${Math.floor(now() / 1000)}.${id('h')}` };
      views.push({ id: view.id, triggerId, view: opened });
      return { view: opened };
    },
    'users.info': (args) => {
      const user = knownUser(args.user);
      const { email, name = user.toLowerCase() } = users[user]!;
      const profile = { email, real_name: name, display_name: name };
      return { user: { id: user, team_id: FAKE_TEAM_ID, name, real_name: name, deleted: false, profile } };
    },
  };

  /** Parse a Web API body as Slack does: form fields (JSON-encoded blocks/view) or a JSON document. */
  const parseArgs = (contentType: string, raw: string): { args: Obj; formToken?: string } => {
    if (contentType.startsWith('application/json')) {
      try {
        const parsed: unknown = JSON.parse(raw || '{}');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        // With JSON bodies Slack takes the token from the Authorization header only.
        const { token: _ignored, ...args } = parsed as Obj;
        return { args };
      } catch {
        throw new SlackApiError('invalid_json');
      }
    }
    if (!contentType.startsWith('application/x-www-form-urlencoded')) throw new SlackApiError('invalid_post_type');
    const { token: formToken, ...args }: Obj = Object.fromEntries(new URLSearchParams(raw));
    for (const [field, error] of [
      ['blocks', 'invalid_blocks_format'],
      ['view', 'invalid_arguments'],
      ['attachments', 'invalid_attachments'],
    ] as const) {
      if (typeof args[field] !== 'string') continue;
      try {
        args[field] = JSON.parse(args[field] as string);
      } catch {
        throw new SlackApiError(error);
      }
    }
    return { args, formToken: formToken as string | undefined };
  };

  const handleApi = (method: string, req: http.IncomingMessage, raw: string): Obj => {
    const call: SlackCall = { method, args: {}, at: now(), outcome: 'ok' };
    calls.push(call);
    try {
      const { args, formToken } = parseArgs(req.headers['content-type'] ?? '', raw);
      call.args = args;
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const presented = bearer ?? formToken;
      if (!presented) throw new SlackApiError('not_authed');
      if (presented !== token) throw new SlackApiError('invalid_auth');
      const handler = methods[method];
      if (!handler) throw new SlackApiError('unknown_method');
      const injected = failures.get(method);
      if (injected?.length) {
        const error = injected.shift();
        if (error !== undefined) throw new SlackApiError(error);
        call.outcome = 'http_500';
        throw Object.assign(new Error('injected HTTP 500'), { status: 500 });
      }
      return { ok: true, ...handler(args) };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      call.outcome = err.error;
      return { ok: false, error: err.error, ...err.extra };
    }
  };

  /** A response_url POST (JSON); answered like Slack's hooks: `{ ok }` with a 4xx on refusal. */
  const handleResponseUrl = (urlId: string, raw: string): [number, Obj] => {
    const entry = responseUrls.get(urlId);
    if (!entry) return [404, { ok: false, error: 'invalid_url' }];
    if (now() - entry.issuedAt > RESPONSE_URL_TTL_MS) return [404, { ok: false, error: 'expired_url' }];
    if (entry.uses >= RESPONSE_URL_USES) return [404, { ok: false, error: 'used_url' }];
    let body: Obj;
    try {
      body = JSON.parse(raw) as Obj;
      if (typeof body !== 'object' || body === null) throw new Error('not an object');
    } catch {
      return [400, { ok: false, error: 'invalid_payload' }];
    }
    if (body.response_type !== undefined && body.response_type !== 'ephemeral' && body.response_type !== 'in_channel') {
      return [400, { ok: false, error: 'invalid_response_type' }];
    }
    try {
      checkContent(body, body.delete_original !== true);
    } catch (err) {
      if (err instanceof SlackApiError) return [400, { ok: false, error: err.error, ...err.extra }];
      throw err;
    }
    entry.uses += 1;
    responses.push({ id: urlId, body, at: now() });
    const index = messages.findIndex((m) => m.channel === entry.channel && m.ts === entry.ts);
    const original = messages[index];
    if (original && body.delete_original === true) messages.splice(index, 1);
    else if (original && body.replace_original === true) {
      original.text = typeof body.text === 'string' ? body.text : original.text;
      original.blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
      original.updates += 1;
    }
    return [200, { ok: true }];
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const send = (status: number, body: Obj) =>
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      try {
        const path = new URL(req.url ?? '/', 'http://fake').pathname;
        const api = /^\/api\/([\w.]+)$/.exec(path);
        const hook = /^\/response\/([\w-]+)$/.exec(path);
        if (req.method !== 'POST') send(405, { ok: false, error: 'method_not_allowed' });
        else if (api) send(200, handleApi(api[1]!, req, raw));
        else if (hook) send(...handleResponseUrl(hook[1]!, raw));
        else send(404, { ok: false, error: 'not_found' });
      } catch (err) {
        send((err as { status?: number }).status ?? 500, { ok: false, error: 'fatal_error' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state = { users, now, messages, views };
  const fake = {
    apiUrl: `${base}/api/`,
    token,
    calls,
    messages,
    ephemerals,
    views,
    responses,
    /** The stored message at channel/ts, as it stands now. */
    message: (channel: string, ts: string) => messages.find((m) => m.channel === channel && m.ts === ts),
    /** Calls made to one method. */
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    /** A new trigger_id, as Slack puts in an interaction payload: single use, valid for 3 s. */
    issueTriggerId(): string {
      const triggerId = `${Math.floor(now() / 1000)}.${seq + 1}.${crypto.randomBytes(16).toString('hex')}`;
      triggers.set(triggerId, { issuedAt: now(), used: false });
      return triggerId;
    },
    /** A response_url on the fake: 5 uses within 30 min; bound to a message for replace/delete_original. */
    responseUrl(original?: { channel: string; ts: string }): string {
      const urlId = crypto.randomBytes(12).toString('hex');
      responseUrls.set(urlId, { issuedAt: now(), uses: 0, ...original });
      return `${base}/response/${urlId}`;
    },
    /** The next `times` calls of `method` answer HTTP 500, or `{ ok: false, error }` when `error` is given. */
    fail(method: string, times: number, error?: string): void {
      failures.set(method, [...(failures.get(method) ?? []), ...Array<string | undefined>(times).fill(error)]);
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return Object.assign(fake, interactions(state, fake));
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
