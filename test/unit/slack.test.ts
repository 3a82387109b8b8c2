import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACTION, slackMessage } from '../../src/clients/notify/slack/blocks.js';
import type { Notification } from '../../src/domain/notification/notification.js';
import type { ApprovalRequest } from '../../src/domain/response/status.js';
import { decisionModal, readSubmission } from '../../src/api/slack/modal.js';
import { ReplayGuard, slackSignatureProblem } from '../../src/api/slack/signature.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const sign = (ts: number, body: string, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

describe('Slack request signatures (v0)', () => {
  const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');
  const now = 1_763_900_000_000;
  const ts = now / 1000;

  it('accepts the signature Slack computes over v0:<timestamp>:<raw body>', () => {
    expect(
      slackSignatureProblem(SECRET, { timestamp: String(ts), signature: sign(ts, body.toString()) }, body, now),
    ).toBeUndefined();
  });

  it('refuses a wrong secret, a changed body, a missing header and a stale or future timestamp', () => {
    const ok = sign(ts, body.toString());
    expect(
      slackSignatureProblem(
        SECRET,
        { timestamp: String(ts), signature: sign(ts, body.toString(), 'other') },
        body,
        now,
      ),
    ).toMatch(/does not match/);
    expect(
      slackSignatureProblem(SECRET, { timestamp: String(ts), signature: ok }, Buffer.from(`${body}x`), now),
    ).toMatch(/does not match/);
    expect(slackSignatureProblem(SECRET, { timestamp: String(ts) }, body, now)).toMatch(/missing/);
    expect(
      slackSignatureProblem(
        SECRET,
        { timestamp: String(ts - 301), signature: sign(ts - 301, body.toString()) },
        body,
        now,
      ),
    ).toMatch(/more than 300 s/);
    expect(
      slackSignatureProblem(
        SECRET,
        { timestamp: String(ts + 301), signature: sign(ts + 301, body.toString()) },
        body,
        now,
      ),
    ).toMatch(/more than 300 s/);
    expect(
      slackSignatureProblem(
        SECRET,
        { timestamp: String(ts - 299), signature: sign(ts - 299, body.toString()) },
        body,
        now,
      ),
    ).toBeUndefined();
    expect(slackSignatureProblem(SECRET, { timestamp: 'soon', signature: ok }, body, now)).toMatch(/Unix time/);
  });

  it('takes a signature once within the window', () => {
    const guard = new ReplayGuard(600_000);
    expect(guard.firstUse('v0=a', now)).toBe(true);
    expect(guard.firstUse('v0=a', now + 1000)).toBe(false);
    expect(guard.firstUse('v0=b', now + 1000)).toBe(true);
    // Past the window the timestamp check refuses it anyway; the guard forgets it.
    expect(guard.firstUse('v0=a', now + 700_000)).toBe(true);
  });
});

const approval = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
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
  requestedBy: { id: 'interlock', name: 'Interlock automation' },
  inputs: { replica: 2, drain: true },
  decisions: [
    {
      actor: { id: 'bob', name: 'Bob', channel: 'api' },
      decision: 'approve',
      reason: 'lag confirmed',
      at: '2026-11-23T10:01:00.000Z',
    },
  ],
  context: {
    incidentId: 'am-1',
    title: 'Replication lag <high> & rising',
    service: 'db',
    environment: 'prod',
    severity: 'critical',
    alerts: [
      {
        fingerprint: 'f1',
        status: 'firing',
        labels: { alertname: 'Lag' },
        annotations: { summary: 'lag <30s> & rising' },
        startsAt: '',
      },
    ],
    action: 'http.request',
    params: { url: 'http://db/restart', replica: 2 },
    adjustable: { replica: { type: 'integer', default: 1, min: 1, max: 3 }, drain: { type: 'boolean', default: true } },
    impact: 'Reads fail over for 30 s',
    risk: 'high',
    policySource: 'policy: high risk in prod',
    diagnostics: [{ stepId: 'check-lag', state: 'succeeded', output: { lag: 30 } }],
    ifNobodyAnswers: 'it will not run',
    dryRun: false,
  },
  ...over,
});
const notification = (over: Partial<Notification> = {}): Notification => ({
  kind: 'approval.requested',
  id: 'wf:notification:1',
  incidentId: 'am-1',
  workflowId: 'incident-am-1',
  title: 'Replication lag <high> & rising',
  service: 'db',
  environment: 'prod',
  severity: 'critical',
  dryRun: false,
  at: '2026-11-23T10:00:00.000Z',
  approval: approval(),
  recipients: [{ tier: 'tier1', people: ['bob'] }],
  links: { console: 'https://interlock.example/incidents/am-1' },
  ...over,
});

describe('the Block Kit message', () => {
  it('carries the context and four buttons while pending, Opt out with a confirm dialog', () => {
    const { blocks, text } = slackMessage(notification());
    const json = JSON.stringify(blocks);
    for (const fact of [
      'db',
      'prod',
      'critical',
      'restart-replica',
      'tier1',
      'on call: bob',
      '1 of 2',
      'Reads fail over',
      'lag &lt;30s&gt; &amp; rising',
      'check-lag',
      'policy: high risk',
    ])
      expect(json).toContain(fact);
    // Text from alerts is escaped for mrkdwn (a raw < would start a link or a mention).
    expect(json).not.toContain('<30s>');
    expect(text).toContain('approval needed');
    const actions = blocks.find((b) => b.type === 'actions') as any;
    expect(actions.elements.map((e: any) => e.action_id)).toEqual([
      ACTION.approve,
      ACTION.reject,
      ACTION.adjust,
      ACTION.optOut,
    ]);
    expect(actions.elements.every((e: any) => e.text.text.length <= 75)).toBe(true);
    const optOut = actions.elements.find((e: any) => e.action_id === ACTION.optOut);
    expect(optOut).toMatchObject({ style: 'danger', confirm: { style: 'danger' } });
    expect(JSON.parse(optOut.value)).toEqual({
      incidentId: 'am-1',
      approvalId: 'restart-replica-1',
      stepId: 'restart-replica',
    });
  });

  it('once decided has no buttons and says who decided, through which channel, and why', () => {
    const decided = approval({ state: 'rejected' });
    const { blocks } = slackMessage(
      notification({
        kind: 'approval.decided',
        approval: decided,
        actor: { id: 'lee', name: 'Lee Lead', channel: 'email' },
        reason: 'not now',
      }),
    );
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(blocks)).toContain('Rejected by Lee Lead via email: not now');
  });

  it('stays within Slack limits for huge parameters and titles', () => {
    const big = approval();
    big.context.params = { blob: 'x'.repeat(10_000) };
    const { blocks } = slackMessage(notification({ title: 't'.repeat(400), approval: big }));
    for (const b of blocks as any[]) {
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(150);
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
  });
});

describe('the decision modal', () => {
  it('asks for a reason; Adjust shows the inputs with their bounds, and reads them back typed', () => {
    const meta = {
      incidentId: 'am-1',
      approvalId: 'restart-replica-1',
      stepId: 'restart-replica',
      choice: 'approve' as const,
    };
    const view = decisionModal(meta, approval(), true) as any;
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.parse(view.private_metadata)).toEqual(meta);
    const ids = view.blocks.map((b: any) => b.block_id).filter(Boolean);
    expect(ids).toEqual(['input:replica', 'input:drain', 'reason']);
    const replica = view.blocks.find((b: any) => b.block_id === 'input:replica');
    expect(replica.element).toMatchObject({ type: 'number_input', min_value: '1', max_value: '3', initial_value: '2' });
    expect(replica.hint.text).toBe('between 1 and 3');
    const read = readSubmission(
      {
        reason: { value: { value: '  lag confirmed  ' } },
        'input:replica': { value: { value: '3' } },
        'input:drain': { value: { selected_option: { value: 'false' } } },
      },
      approval().context.adjustable as any,
    );
    expect(read).toEqual({ reason: 'lag confirmed', scope: 'step', inputs: { replica: 3, drain: false } });
    // Plain Approve has no inputs to adjust.
    expect((decisionModal(meta, approval(), false) as any).blocks.map((b: any) => b.block_id).filter(Boolean)).toEqual([
      'reason',
    ]);
  });
});
