import type { WebClient } from '@slack/web-api';
import type { Notification } from '../../../domain/notification/notification.js';
import type { Contact, Delivery, NotificationChannel } from '../channel.js';
import { slackMessage } from './blocks.js';

export interface SlackChannelOptions {
  /** A channel every request and outcome is posted to (id like C0123, or #name); optional. */
  channel?: string;
  /** Also send each request as a direct message to the on-call approvers who have a Slack id. */
  directMessages: boolean;
}

/** Kinds that ask someone to act: posted to the channel and to the on-call people. */
const ASKING = new Set(['approval.requested', 'approval.escalated', 'approval.reminder', 'objection.window-opened']);
/** Kinds that close a request: every message sent about it is rewritten, buttons removed. */
const CLOSING = new Set(['approval.decided', 'approval.expired']);
/** A decision counted, the quorum still open: the messages are rewritten with the new progress. */
const PROGRESS = 'approval.progressed';

/**
 * Slack through its Web API (`@slack/web-api`, which handles Slack's rate-limit answers and
 * retries). Refs are `channel:ts`, recorded by the workflow with the request, so a decision taken
 * anywhere (API, console, email, another click) can rewrite every message about it.
 */
export function slackChannel(client: WebClient, options: SlackChannelOptions): NotificationChannel {
  const at = () => new Date().toISOString();

  async function post(to: string, channel: string, n: Notification): Promise<Delivery> {
    try {
      const message = slackMessage(n);
      const res = await client.chat.postMessage({ channel, ...message, unfurl_links: false });
      return { channel: 'slack', to, ok: true, at: at(), ref: `${res.channel}:${res.ts}` };
    } catch (err) {
      return { channel: 'slack', to, ok: false, at: at(), error: slackError(err) };
    }
  }

  async function direct(person: Contact, n: Notification): Promise<Delivery> {
    if (!person.slack) return { channel: 'slack', to: person.id, ok: false, at: at(), error: 'no Slack member id' };
    try {
      const opened = await client.conversations.open({ users: person.slack });
      return await post(person.id, opened.channel!.id!, n);
    } catch (err) {
      return { channel: 'slack', to: person.id, ok: false, at: at(), error: slackError(err) };
    }
  }

  /** Rewrite the messages sent about this request (the decided/expired form has no buttons). */
  async function rewrite(n: Notification): Promise<Delivery[]> {
    const sent = (n.approval?.notified ?? [])
      .flatMap((r) => r.deliveries)
      .filter((d) => d.channel === 'slack' && d.ok && d.ref);
    const message = slackMessage(n);
    return Promise.all(
      sent.map(async (d): Promise<Delivery> => {
        const [channel, ts] = d.ref!.split(':') as [string, string];
        try {
          await client.chat.update({ channel, ts, ...message });
          return { channel: 'slack', to: d.to, ok: true, at: at(), ref: d.ref };
        } catch (err) {
          return { channel: 'slack', to: d.to, ok: false, at: at(), error: slackError(err), ref: d.ref };
        }
      }),
    );
  }

  return {
    name: 'slack',
    async deliver(n, people) {
      if (n.kind === PROGRESS) return rewrite(n);
      if (CLOSING.has(n.kind)) {
        const rewritten = await rewrite(n);
        // Nothing was sent to rewrite (no request message recorded): say it in the channel.
        if (rewritten.length || !options.channel) return rewritten;
        return [await post(options.channel, options.channel, n)];
      }
      const deliveries: Array<Promise<Delivery>> = [];
      if (options.channel) deliveries.push(post(options.channel, options.channel, n));
      if (options.directMessages && ASKING.has(n.kind)) for (const p of people) deliveries.push(direct(p, n));
      return Promise.all(deliveries);
    },
  };
}

/** Slack's error code (e.g. `channel_not_found`), never the token or the request. */
function slackError(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  if (data?.error) return `slack: ${data.error}`;
  return `slack: ${(err as Error).message ?? String(err)}`.slice(0, 300);
}
