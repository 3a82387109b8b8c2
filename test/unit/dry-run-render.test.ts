import { describe, expect, it } from 'vitest';
import { renderRequestMail, renderOutcomeMail } from '../../src/clients/notify/email/render.js';
import { pagerDutyChannel } from '../../src/clients/notify/pagerduty.js';
import { renderText } from '../../src/clients/notify/render-text.js';
import { slackMessage } from '../../src/clients/notify/slack/blocks.js';
import { parsePlaybook } from '../../src/clients/config/catalog.js';
import type { Notification } from '../../src/domain/notification/notification.js';

const request: Notification = {
  kind: 'approval.requested',
  id: 'incident-x:notification:1',
  incidentId: 'dryrun-am-1-1',
  workflowId: 'incident-dryrun-am-1-1',
  title: 'Replication lag',
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  dryRun: true,
  at: '2026-11-23T10:00:00.000Z',
  recipients: [{ tier: 'tier1' }],
  approval: {
    id: 'restart-1',
    stepId: 'restart',
    kind: 'approval',
    state: 'pending',
    tier: 'tier1',
    tiers: ['tier1'],
    escalationLevel: 0,
    approversRequired: 1,
    requestedAt: '2026-11-23T10:00:00.000Z',
    expiresAt: '2026-11-23T10:15:00.000Z',
    requestedBy: { id: 'interlock', name: 'Interlock' },
    inputs: {},
    decisions: [],
    context: {
      incidentId: 'dryrun-am-1-1',
      title: 'Replication lag',
      service: 'payments-db',
      environment: 'prod',
      severity: 'critical',
      alerts: [],
      action: 'http.request',
      params: { url: 'http://db/restart' },
      adjustable: {},
      risk: 'high',
      policySource: 'org default',
      diagnostics: [],
      ifNobodyAnswers: 'it does not run',
      dryRun: true,
    },
  },
};
const decided: Notification = {
  ...request,
  kind: 'approval.decided',
  approval: { ...request.approval!, state: 'approved' },
};
const real: Notification = { ...request, dryRun: false };

describe('a dry run is marked DRY RUN first in every channel', () => {
  it('plain text (webhook, log): every kind starts with it', () => {
    expect(renderText(request)).toMatch(/^DRY RUN: Replication lag: approval needed/);
    expect(renderText(decided)).toMatch(/^DRY RUN: /);
    expect(renderText(real)).not.toContain('DRY RUN');
  });

  it('Slack: the header and the fallback text', () => {
    const m = slackMessage(request);
    expect(m.text).toMatch(/^DRY RUN: /);
    expect((m.blocks[0] as { text: { text: string } }).text.text).toMatch(/^DRY RUN: /);
    expect((slackMessage(decided).blocks[0] as { text: { text: string } }).text.text).toMatch(/^DRY RUN: /);
    expect(JSON.stringify(slackMessage(real).blocks)).not.toContain('DRY RUN');
  });

  it('email: the subject and the first line of the request and of the outcome', () => {
    const mail = renderRequestMail(request, () => 'https://interlock.example/x');
    expect(mail.subject).toMatch(/^\[Interlock\] DRY RUN: approve restart/);
    expect(mail.text).toMatch(/^DRY RUN: Your approval is requested\./);
    expect(mail.html).toContain('DRY RUN: Your approval is requested.');
    const outcome = renderOutcomeMail(decided);
    expect(outcome.subject).toMatch(/^\[Interlock\] DRY RUN: Decided/);
    expect(outcome.text).toMatch(/^DRY RUN: /);
    expect(renderRequestMail(real, () => 'x').subject).not.toContain('DRY RUN');
  });

  it('PagerDuty: the alert summary', async () => {
    const sent: Array<{ payload: { summary: string } }> = [];
    const channel = pagerDutyChannel({
      routingKey: 'R0123456789abcdef0123456789abcde',
      eventsUrl: 'http://pagerduty.invalid',
      fetch: async (_url, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return new Response(JSON.stringify({ status: 'success', dedup_key: 'k' }), { status: 202 });
      },
    });
    await channel.deliver(request, []);
    expect(sent[0]!.payload.summary).toMatch(/^DRY RUN: Approval needed: http.request \(restart\)/);
  });
});

describe('safeInDryRun in a playbook', () => {
  const playbook = (kind: string) => `
id: p
version: 1
match: { labels: { alertname: X } }
steps:
  - id: s
    kind: ${kind}
    safeInDryRun: true
    action: http.request
    params: { method: GET, url: "http://metrics/q", timeout: 5s }
`;
  it('marks a read-only step safe to run in a dry run', () => {
    expect(parsePlaybook(playbook('diagnostic'), 'p.yaml').steps[0]!.safeInDryRun).toBe(true);
  });
  it('is refused on a mitigation, naming the file and the field', () => {
    expect(() => parsePlaybook(playbook('mitigation'), 'p.yaml')).toThrow(
      /p\.yaml: steps\.0\.safeInDryRun: a mitigation never runs in a dry run/,
    );
  });
});
