/**
 * What Slack sends to an app's Request URL when a person clicks a button or submits a modal,
 * built against the fake's state (test/support/fake-slack.ts) so a test can only click a button
 * that the fake actually holds, or submit a modal that was actually opened — as in Slack.
 *
 * Payload shapes follow Slack's documented `block_actions` and `view_submission` payloads;
 * signatures follow "Verifying requests from Slack" (v0, HMAC-SHA256 over `v0:<ts>:<raw body>`).
 */
import crypto from 'node:crypto';
import { elementsOf } from './fake-slack-blocks.js';
import type { FakeSlackUser, OpenedView, StoredMessage } from './fake-slack.js';

type Obj = Record<string, unknown>;

const TEAM = { id: 'T0FAKETEAM', domain: 'interlock-fake' };
const APP_ID = 'A0FAKEAPP';

interface State {
  users: Record<string, FakeSlackUser>;
  now: () => number;
  messages: StoredMessage[];
  views: OpenedView[];
}

interface Issuers {
  issueTriggerId(): string;
  responseUrl(original?: { channel: string; ts: string }): string;
}

export interface BlockActionsInput {
  user: string;
  actionId: string;
  /** Defaults to the button's own value; a different value is refused (Slack echoes the button's). */
  value?: string;
  channel: string;
  ts: string;
  triggerId?: string;
  responseUrl?: string;
}

export interface ViewSubmissionInput {
  user: string;
  callbackId: string;
  /** Defaults to what views.open stored; pass one to model a tampered or stale view. */
  privateMetadata?: string;
  /** block_id → action_id → typed value, or a plain string that is wrapped for the element's type. */
  values: Record<string, Record<string, string | Obj>>;
  triggerId?: string;
}

export function interactions(state: State, issuers: Issuers) {
  // The deprecated verification token Slack still includes in every payload.
  const verificationToken = crypto.randomBytes(12).toString('hex');
  const actionTs = () => (state.now() / 1000).toFixed(6);
  const userJson = (id: string) => {
    const name = state.users[id]?.name ?? id.toLowerCase();
    return { id, username: name, name, team_id: TEAM.id };
  };

  return {
    verificationToken,

    /** Headers Slack sends with `body`: `v0=` + hex HMAC-SHA256(secret, `v0:<timestamp>:<body>`). */
    signInteraction(signingSecret: string, body: string, opts: { timestamp?: number } = {}) {
      const timestamp = String(opts.timestamp ?? Math.floor(state.now() / 1000));
      const digest = crypto.createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
      return {
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': `v0=${digest}`,
        'content-type': 'application/x-www-form-urlencoded',
      };
    },

    /** The form body Slack posts: a single `payload` field holding the JSON. */
    interactionBody(payload: object): string {
      return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    },

    /** A `block_actions` payload for a click on a button in a message the fake holds. */
    blockActionsPayload(input: BlockActionsInput) {
      const message = state.messages.find((m) => m.channel === input.channel && m.ts === input.ts);
      if (!message) throw new Error(`fake Slack holds no message ${input.channel}/${input.ts} to click in`);
      const hit = elementsOf(message.blocks).find(
        ({ element }) => element.type === 'button' && element.action_id === input.actionId,
      );
      if (!hit) throw new Error(`message ${input.ts} has no button with action_id ${input.actionId}`);
      if (input.value !== undefined && input.value !== hit.element.value) {
        throw new Error(`button ${input.actionId} carries value ${String(hit.element.value)}, not ${input.value}`);
      }
      const original = { channel: input.channel, ts: input.ts };
      return {
        type: 'block_actions',
        user: userJson(input.user),
        api_app_id: APP_ID,
        token: verificationToken,
        container: { type: 'message', message_ts: input.ts, channel_id: input.channel, is_ephemeral: false },
        trigger_id: input.triggerId ?? issuers.issueTriggerId(),
        team: TEAM,
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: input.channel, name: input.channel.startsWith('D') ? 'directmessage' : input.channel },
        message: { type: 'message', ts: message.ts, text: message.text ?? '', blocks: message.blocks ?? [] },
        state: { values: {} },
        response_url: input.responseUrl ?? issuers.responseUrl(original),
        actions: [
          {
            action_id: input.actionId,
            block_id: hit.block.block_id ?? 'fake-generated-block-id',
            text: hit.element.text,
            value: hit.element.value,
            type: 'button',
            ...(hit.element.style ? { style: hit.element.style } : {}),
            action_ts: actionTs(),
          },
        ],
      };
    },

    /** A `view_submission` payload for the last modal opened with `callbackId`. */
    viewSubmissionPayload(input: ViewSubmissionInput) {
      const opened = state.views.findLast((v) => v.view.callback_id === input.callbackId);
      if (!opened) throw new Error(`no modal with callback_id ${input.callbackId} was opened on the fake`);
      const inputs = elementsOf(opened.view.blocks).filter(({ block }) => block.type === 'input');
      const values: Record<string, Record<string, Obj>> = {};
      for (const [blockId, byAction] of Object.entries(input.values)) {
        for (const [actionId, given] of Object.entries(byAction)) {
          const hit = inputs.find((i) => i.block.block_id === blockId && i.element.action_id === actionId);
          if (!hit) throw new Error(`modal ${input.callbackId} has no input ${blockId}/${actionId}`);
          (values[blockId] ??= {})[actionId] = typeof given === 'string' ? typed(hit.element, given) : given;
        }
      }
      // Slack's client will not submit while a required input is empty.
      for (const { block, element } of inputs) {
        const v = values[block.block_id as string]?.[element.action_id as string];
        if (block.optional !== true && (v === undefined || v.value === '')) {
          throw new Error(`required input ${String(block.block_id)} left empty: Slack would not submit`);
        }
      }
      const view = { ...opened.view, state: { values } } as Obj;
      if (input.privateMetadata !== undefined) view.private_metadata = input.privateMetadata;
      return {
        type: 'view_submission',
        team: TEAM,
        user: userJson(input.user),
        api_app_id: APP_ID,
        token: verificationToken,
        trigger_id: input.triggerId ?? issuers.issueTriggerId(),
        view,
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
    },
  };
}

/** A typed state value, as Slack reports it for the element's type (checking what the client would). */
function typed(element: Obj, value: string): Obj {
  switch (element.type) {
    case 'static_select': {
      const options = (element.options ?? []) as Obj[];
      const selected = options.find((o) => o.value === value);
      if (!selected) throw new Error(`${String(element.action_id)} has no option ${value}`);
      return { type: 'static_select', selected_option: selected };
    }
    case 'number_input':
      if (!Number.isFinite(Number(value))) throw new Error(`${String(element.action_id)}: not a number`);
      return { type: 'number_input', value };
    default:
      if (typeof element.max_length === 'number' && value.length > element.max_length) {
        throw new Error(`${String(element.action_id)}: longer than max_length; Slack would not submit`);
      }
      return { type: String(element.type), value };
  }
}
