import { createHash, randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Notification } from '../../../domain/notification/notification.js';
import type { Contact, Delivery, NotificationChannel } from '../channel.js';
import { emailTokenHash, type EmailTokenStore } from '../../opensearch/email-tokens.js';
import {
  asksForDecision,
  decisionLink,
  renderNeedsHumanMail,
  renderOutcomeMail,
  renderRequestMail,
  type RenderedMail,
} from './render.js';

export interface EmailChannelOptions {
  /** smtp://host:port or smtps://user:pass@host:port (nodemailer's connection URL). */
  smtpUrl: string;
  from: string;
  /** Where people reach the gateway (PUBLIC_GATEWAY_URL); read per message. */
  gatewayUrl: () => string | undefined;
  tokens: Pick<EmailTokenStore, 'put'>;
  now?: () => Date;
}

const OUTCOMES = new Set(['approval.decided', 'approval.expired']);

/**
 * Approval requests by email: one message per on-call person, each with a personal single-use
 * link. Only the link token's hash is kept (in OpenSearch, shared by every gateway); the token
 * exists in the mail alone, and never in logs, errors or the audit trail.
 */
export function createEmailChannel(options: EmailChannelOptions): NotificationChannel {
  const transport = nodemailer.createTransport(options.smtpUrl);
  const now = options.now ?? (() => new Date());
  const domain = options.from.match(/@([^>\s]+)>?\s*$/)?.[1] ?? 'interlock.invalid';

  /** Stable per notification and person: a repeated delivery is the same message to mail clients. */
  const messageIdFor = (n: Notification, person: string) =>
    `<interlock.${createHash('sha256').update(`${n.id}\u0000${person}`).digest('hex').slice(0, 40)}@${domain}>`;

  async function send(n: Notification, person: Contact & { email: string }, mail: RenderedMail): Promise<Delivery> {
    const messageId = messageIdFor(n, person.id);
    try {
      await transport.sendMail({
        from: options.from,
        to: { name: person.name, address: person.email },
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
        headers: { 'X-Interlock-Incident': n.incidentId, 'Auto-Submitted': 'auto-generated' },
      });
      return { channel: 'email', to: person.id, ok: true, at: now().toISOString(), ref: messageId };
    } catch (err) {
      return {
        channel: 'email',
        to: person.id,
        ok: false,
        at: now().toISOString(),
        error: smtpError(err),
        ref: messageId,
      };
    }
  }

  async function ask(n: Notification, person: Contact & { email: string }): Promise<Delivery> {
    const a = n.approval!;
    const base = options.gatewayUrl();
    if (!base)
      return failed(
        person.id,
        'PUBLIC_GATEWAY_URL is not set: there is no link to decide with',
        messageIdFor(n, person.id),
      );
    // 32 random bytes: guessing one is hopeless, and the link carries nothing else.
    const token = randomBytes(32).toString('base64url');
    try {
      await options.tokens.put(emailTokenHash(token), {
        approvalId: a.id,
        incidentId: n.incidentId,
        workflowId: n.workflowId,
        personId: person.id,
        expiresAt: a.expiresAt,
      });
    } catch {
      return failed(
        person.id,
        'could not store the decision link (OpenSearch unavailable?)',
        messageIdFor(n, person.id),
      );
    }
    return send(
      n,
      person,
      renderRequestMail(n, (decision) => decisionLink(base, token, decision)),
    );
  }

  const failed = (to: string, error: string, ref: string): Delivery => ({
    channel: 'email',
    to,
    ok: false,
    at: now().toISOString(),
    error,
    ref,
  });

  return {
    name: 'email',
    async deliver(n, people) {
      const reachable = people.filter((p): p is Contact & { email: string } => Boolean(p.email));
      if (asksForDecision(n)) {
        const sent = await Promise.all(reachable.map((p) => ask(n, p)));
        throwIfServerDown(sent);
        return sent;
      }
      if (OUTCOMES.has(n.kind) || n.kind === 'mitigation.needs-human') {
        const mail = n.kind === 'mitigation.needs-human' ? renderNeedsHumanMail(n) : renderOutcomeMail(n);
        const sent = await Promise.all(reachable.map((p) => send(n, p, mail)));
        throwIfServerDown(sent);
        return sent;
      }
      return [];
    },
  };
}

const UNREACHABLE = /^SMTP server unreachable/;

/**
 * One refused address is that person's failed delivery; a server nobody can reach is the whole
 * channel failing, thrown so the fan-out retries it (the message ids stay the same).
 */
function throwIfServerDown(sent: Delivery[]) {
  if (sent.length && sent.every((d) => !d.ok && UNREACHABLE.test(d.error ?? ''))) throw new Error(sent[0]!.error);
}

/** What went wrong, in words safe to record: never the connection URL (it may hold a password). */
function smtpError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  if (e.responseCode) return `SMTP ${e.responseCode}: ${(e.response ?? '').slice(0, 200)}`;
  if (e.code && /^(ECONNREFUSED|ETIMEDOUT|ECONNECTION|ESOCKET|EDNS|ENOTFOUND|EAUTH|ETLS)$/.test(e.code))
    return `SMTP server unreachable (${e.code})`;
  return `could not send (${e.code ?? 'error'})`;
}
