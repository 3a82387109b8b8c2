import { describe, expect, it } from 'vitest';
import {
  decisionLink,
  renderNeedsHumanMail,
  renderOutcomeMail,
  renderRequestMail,
} from '../../src/clients/notify/email/render.js';
import { escapeHtml } from '../../src/clients/notify/email/html.js';
import type { Notification } from '../../src/domain/notification/notification.js';
import type { ApprovalRequest } from '../../src/domain/response/status.js';
import { outcomeText } from '../../src/domain/notification/approval-facts.js';
import { lostRestart } from '../support/unknown-effect-fixture.js';

const approval: ApprovalRequest = {
  id: 'restart-replica-1',
  stepId: 'restart-replica',
  kind: 'approval',
  state: 'pending',
  tier: 'tier1',
  tiers: ['tier1'],
  escalationLevel: 0,
  approversRequired: 2,
  requestedAt: '2026-11-23T10:00:00.000Z',
  expiresAt: '2026-11-23T10:05:00.000Z',
  requestedBy: { id: 'system', name: 'Interlock' },
  inputs: { drainSeconds: 30 },
  decisions: [
    {
      actor: { id: 'erin', name: 'Erin Approver', channel: 'slack' },
      decision: 'approve',
      reason: 'lag is real',
      at: '2026-11-23T10:01:00.000Z',
    },
  ],
  context: {
    incidentId: 'am-1',
    title: 'Replication lag <script>alert(1)</script>',
    service: 'payments-db',
    environment: 'prod',
    severity: 'critical',
    alerts: [
      {
        fingerprint: 'f',
        status: 'firing',
        labels: { alertname: 'PostgresReplicationLag' },
        annotations: { summary: 'lag "above" 30s & rising' },
        startsAt: '2026-11-23T09:59:00Z',
      },
    ],
    action: 'http.request',
    params: { method: 'POST', url: 'http://db/restart' },
    adjustable: { drainSeconds: { type: 'integer', default: 30, min: 0, max: 120 } },
    impact: 'Reads fail over for 30 s',
    risk: 'high',
    policySource: 'policy rule "db-needs-approval"',
    diagnostics: [{ stepId: 'check-lag', state: 'succeeded', output: { lagSeconds: 42 } }],
    ifNobodyAnswers: 'the step does not run',
    dryRun: false,
  },
};
const notification: Notification = {
  kind: 'approval.requested',
  id: 'n-1',
  incidentId: 'am-1',
  workflowId: 'incident-am-1',
  title: approval.context.title,
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  dryRun: false,
  at: '2026-11-23T10:00:00.000Z',
  approval,
  recipients: [{ tier: 'tier1', people: ['bob'] }],
};

describe('email rendering', () => {
  const link = (d?: 'approve' | 'reject') => decisionLink('https://interlock.example/', 'TOKEN', d);
  const mail = renderRequestMail(notification, link);

  it('puts everything an approver needs in the text, with both links', () => {
    for (const expected of [
      'payments-db (prod), severity critical',
      'lag "above" 30s & rising',
      'Diagnostic check-lag: succeeded: {"lagSeconds":42}',
      'http.request {"method":"POST","url":"http://db/restart"}',
      'Reads fail over for 30 s',
      'policy rule "db-needs-approval"',
      '1 of 2 approval(s); so far: Erin Approver approved (lag is real)',
      'Expires: 2026-11-23T10:05:00.000Z',
      'https://interlock.example/v1/integrations/email/decisions/TOKEN?decision=approve',
      'https://interlock.example/v1/integrations/email/decisions/TOKEN?decision=reject',
    ])
      expect(mail.text).toContain(expected);
  });

  it('escapes everything that came from outside in the HTML', () => {
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&#60;script&#62;');
    expect(mail.html).toContain('lag &#34;above&#34; 30s &#38; rising');
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe('&#60;a href=&#39;x&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('tells who decided and why, or that nobody did in time', () => {
    const decided = renderOutcomeMail({
      ...notification,
      kind: 'approval.decided',
      approval: { ...approval, state: 'rejected' },
      actor: { id: 'lee', name: 'Lee Lead', channel: 'email' },
      reason: 'not during the sale',
    });
    expect(decided.subject).toMatch(/^\[Interlock\] Rejected:/);
    expect(decided.text).toContain(
      'restart-replica on payments-db (prod) was rejected by Lee Lead: not during the sale',
    );
    expect(decided.text).not.toContain('TOKEN');
    const expired = renderOutcomeMail({ ...notification, kind: 'approval.expired' });
    expect(expired.text).toContain('Nobody approved restart-replica on payments-db (prod) in time');
  });

  it('tells that a mitigation was lost with its worker, what it ran with, and the choices', () => {
    const { approval: _none, ...rest } = notification;
    const mail = renderNeedsHumanMail({ ...rest, kind: 'mitigation.needs-human', unknownEffect: lostRestart });
    expect(mail.subject).toBe(
      `[Interlock] Needs a person: restart-replica (http.request) on payments-db (prod): effect unknown: ${notification.title}`,
    );
    expect(mail.text).toContain('its effect is UNKNOWN');
    expect(mail.text).toContain('Started with: {"drainSeconds":30,"url":"http://db/<restart>"}');
    for (const choice of ['retry (', 'mark-done (', 'hand-over (']) expect(mail.text).toContain(choice);
    // Parameters came from outside: escaped in the HTML.
    expect(mail.html).toContain('http://db/&#60;restart&#62;');
    expect(mail.html).not.toContain('<restart>');
  });

  it('names every approver of a quorum on the decided page', () => {
    const second = {
      ...approval.decisions[0]!,
      actor: { id: 'bob', name: 'Bob Approver', channel: 'email' as const },
      reason: 'checked',
    };
    expect(outcomeText({ ...approval, state: 'approved', decisions: [...approval.decisions, second] })).toBe(
      'Approved by Erin Approver (slack): lag is real; Bob Approver (email): checked',
    );
    expect(outcomeText(approval)).toBe('');
  });
});
