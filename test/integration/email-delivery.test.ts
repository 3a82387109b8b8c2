import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmailChannel } from '../../src/clients/notify/email/email-channel.js';
import { createEmailTokenStore, emailTokenHash } from '../../src/clients/opensearch/email-tokens.js';
import type { Notification } from '../../src/domain/notification/notification.js';
import type { ApprovalRequest } from '../../src/domain/response/status.js';
import { freePort } from '../support/net.js';
import { startSmtpInbox, type SmtpInbox } from '../support/smtp-inbox.js';
import { lostRestart } from '../support/unknown-effect-fixture.js';

/** The channel on its own, against a real SMTP server and the real token store. */
let inbox: SmtpInbox;
const tokens = () =>
  createEmailTokenStore(new OpenSearchClient({ node: inject('opensearchUrl') }), inject('auditIndexPrefix'));

beforeAll(async () => {
  inbox = await startSmtpInbox({ refuse: ['gone@example.test'] });
});
afterAll(async () => inbox?.close());

const approval = {
  id: 'restart-replica-1',
  stepId: 'restart-replica',
  kind: 'approval',
  state: 'pending',
  tier: 'tier1',
  tiers: ['tier1'],
  escalationLevel: 0,
  approversRequired: 1,
  requestedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 300_000).toISOString(),
  requestedBy: { id: 'system', name: 'Interlock' },
  inputs: {},
  decisions: [],
  context: {
    incidentId: 'am-2',
    title: 'Lag',
    service: 'payments-db',
    environment: 'prod',
    severity: 'critical',
    alerts: [],
    action: 'http.request',
    params: {},
    adjustable: {},
    risk: 'high',
    policySource: 'playbook',
    diagnostics: [],
    ifNobodyAnswers: 'the step does not run',
    dryRun: false,
  },
} satisfies ApprovalRequest;
const notification = (id: string): Notification => ({
  kind: 'approval.requested',
  id,
  incidentId: 'am-2',
  workflowId: 'incident-am-2',
  title: 'Lag',
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  dryRun: false,
  at: new Date().toISOString(),
  approval,
  recipients: [{ tier: 'tier1', people: ['gone', 'erin', 'nomail'] }],
});
const people = [
  { id: 'gone', name: 'Gone Person', email: 'gone@example.test' },
  { id: 'erin', name: 'Erin Approver', email: 'erin@example.test' },
  { id: 'nomail', name: 'No Mail' },
];

describe('email channel delivery', () => {
  it('reports one delivery per person with an address; a refused address fails alone', async () => {
    const channel = createEmailChannel({
      smtpUrl: inbox.url,
      from: 'Interlock <interlock@example.test>',
      gatewayUrl: () => 'https://interlock.example',
      tokens: tokens(),
    });
    const first = await channel.deliver(notification('n-delivery-1'), people);
    expect(first).toEqual([
      expect.objectContaining({ channel: 'email', to: 'gone', ok: false, error: expect.stringMatching(/^SMTP 550/) }),
      expect.objectContaining({ channel: 'email', to: 'erin', ok: true, ref: expect.stringMatching(/^<interlock\./) }),
    ]);
    // The same notification again (a retry) is the same message to mail clients, with a new link.
    const again = await channel.deliver(notification('n-delivery-1'), people);
    expect(again[1]!.ref).toBe(first[1]!.ref);
    const erins = inbox.to('erin@example.test').filter((m) => m.parsed.messageId === first[1]!.ref);
    expect(erins).toHaveLength(2);
    const token = /decisions\/([A-Za-z0-9_-]+)/.exec(erins[0]!.parsed.text!)![1]!;
    expect(token).toHaveLength(43); // 32 bytes, base64url
    const stored = await tokens().find(emailTokenHash(token));
    expect(stored.record).toMatchObject({
      approvalId: 'restart-replica-1',
      personId: 'erin',
      expiresAt: approval.expiresAt,
    });
  });

  it('mails the people asked when a mitigation was lost with its worker: effect unknown, no decision link', async () => {
    const channel = createEmailChannel({
      smtpUrl: inbox.url,
      from: 'Interlock <interlock@example.test>',
      gatewayUrl: () => 'https://interlock.example',
      tokens: tokens(),
    });
    const { approval: _none, ...rest } = notification('n-needs-human-1');
    const sent = await channel.deliver(
      {
        ...rest,
        kind: 'mitigation.needs-human',
        unknownEffect: lostRestart,
        links: { console: 'https://console.example/incidents/am-2' },
      },
      people,
    );
    expect(sent).toEqual([
      expect.objectContaining({ to: 'gone', ok: false }),
      expect.objectContaining({ to: 'erin', ok: true }),
    ]);
    const mail = inbox.to('erin@example.test').find((m) => m.parsed.messageId === sent[1]!.ref)!;
    expect(mail.parsed.subject).toMatch(/^\[Interlock\] Needs a person: restart-replica .*effect unknown/);
    expect(mail.parsed.text).toContain('its effect is UNKNOWN');
    expect(mail.parsed.text).toContain('Decide here: https://console.example/incidents/am-2');
    // A retry lets automation act again: that is chosen in Interlock by a verified person, not by a link.
    expect(mail.parsed.text).not.toMatch(/decisions\//);
  });

  it('throws, without the connection secret, when the SMTP server cannot be reached', async () => {
    const channel = createEmailChannel({
      smtpUrl: `smtp://interlock:s3cret-pass@127.0.0.1:${await freePort()}`,
      from: 'interlock@example.test',
      gatewayUrl: () => 'https://interlock.example',
      tokens: tokens(),
    });
    const error = await channel.deliver(notification('n-delivery-2'), people).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/SMTP server unreachable/);
    expect((error as Error).message).not.toContain('s3cret');
  });
});
