import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import { formatDuration } from '../../src/domain/review/format.js';
import { reviewMarkdown } from '../../src/domain/review/markdown.js';
import { parseDelivered } from '../../src/domain/review/notified.js';
import { buildIncidentReview } from '../../src/domain/review/report.js';
import { describeDeliveries } from '../../src/workflows/shared/deliveries.js';
import { chromiumPathSetting, createPdfRenderer, PdfUnavailableError } from '../../src/clients/pdf/chromium-pdf.js';
import { ConfigError } from '../../src/config/env.js';

const T0 = Date.parse('2026-12-04T10:00:00.000Z');
const SYSTEM = { id: 'interlock', name: 'Interlock automation', channel: 'system' as const };
const LEE = { id: 'lee', name: 'Lee Lead', channel: 'cli' as const };
const BOB = { id: 'bob', name: 'Bob Approver', channel: 'api' as const };
const ALICE = { id: 'alice', name: 'Alice Responder', channel: 'temporal-ui' as const };

let seq = 0;
function ev(at: number, type: AuditEvent['type'], fields: Partial<AuditEvent> = {}): AuditEvent {
  seq += 1;
  return {
    eventId: `incident-am-1:run:${seq}`,
    sequence: seq,
    time: new Date(T0 + at).toISOString(),
    incidentId: 'am-1',
    workflowId: 'incident-am-1',
    type,
    actor: SYSTEM,
    summary: `${type} summary`,
    service: 'payments-db',
    environment: 'prod',
    severity: 'critical',
    ...fields,
  };
}

function trail(): AuditEvent[] {
  seq = 0;
  const req = { approvalId: 'restart-1', stepId: 'restart' };
  const opened = ev(0, 'response.opened', { summary: 'Response opened: Replication lag (firing, 1 alert(s))' });
  const requested = ev(1000, 'approval.requested', { ...req, parameters: { drainSeconds: 30 } });
  const first = ev(1200, 'notification.delivered', {
    ...req,
    summary: 'Notification approval.requested for tier1 (on call: bob, erin) sent: webhook to *',
  });
  const reminded = ev(3000, 'approval.reminded', req);
  const escalated = ev(5000, 'approval.escalated', { ...req, summary: 'No answer in time: escalated to lead' });
  const toLee = ev(5100, 'notification.delivered', {
    ...req,
    summary: 'Notification approval.escalated for lead (on call: lee) sent: webhook to *, slack to U0LEE',
  });
  const adjusted = ev(8000, 'approval.adjusted', {
    ...req,
    actor: LEE,
    reason: 'drain longer',
    parameters: { drainSeconds: 45 },
  });
  const granted = ev(8000, 'approval.granted', {
    ...req,
    actor: LEE,
    reason: 'drain longer',
    parameters: { drainSeconds: 45 },
    outcome: 'approved',
  });
  // Says the request is decided (it asks nobody for anything): dana is not "never answered".
  const decided = ev(8050, 'notification.delivered', {
    ...req,
    summary: 'Notification approval.decided for lead (on call: lee, dana) sent: webhook to *',
  });
  const started = ev(8100, 'mitigation.started', { stepId: 'restart', causedBy: granted.eventId });
  const succeeded = ev(9100, 'mitigation.succeeded', { stepId: 'restart', causedBy: started.eventId });
  const resolved = ev(12_000, 'alert.joined', { outcome: 'resolved', summary: 'Alert joined: lag (resolved)' });
  const scale = { approvalId: 'scale-1', stepId: 'scale' };
  const req2 = ev(13_000, 'approval.requested', scale);
  const note2 = ev(13_100, 'notification.delivered', {
    ...scale,
    summary: 'Notification approval.requested for tier1 (on call: bob, erin) sent: webhook to *',
  });
  const rejected = ev(20_000, 'approval.rejected', {
    ...scale,
    actor: BOB,
    reason: 'not | now\nreally',
    outcome: 'rejected',
  });
  const skipped = ev(20_050, 'step.skipped', { stepId: 'scale', outcome: 'rejected' });
  const blocked = ev(21_000, 'mitigation.blocked', { stepId: 'drain', summary: 'drain waits: exclusion rule r1' });
  const optOut = ev(25_000, 'optout.engaged', { stepId: 'drain', actor: ALICE, reason: 'do it by hand' });
  const drainSkipped = ev(25_100, 'step.skipped', { stepId: 'drain' });
  const stop = ev(30_000, 'response.stop-requested', { actor: LEE, reason: 'enough' });
  const cancelled = ev(30_500, 'response.cancelled', { actor: LEE, causedBy: stop.eventId, outcome: 'cancelled' });
  const compensated = ev(31_000, 'mitigation.compensated', { stepId: 'restart', causedBy: cancelled.eventId });
  return [
    opened,
    requested,
    first,
    reminded,
    escalated,
    toLee,
    adjusted,
    granted,
    decided,
    started,
    succeeded,
    resolved,
    req2,
    note2,
    rejected,
    skipped,
    blocked,
    optOut,
    drainSkipped,
    stop,
    cancelled,
    compensated,
  ];
}

describe('the incident review', () => {
  const now = new Date('2026-12-04T11:00:00Z');

  it('gives each decision its person, channel, latencies, adjusted inputs and what followed', () => {
    const events = trail();
    // Stored out of order (as a search may return ties): the review orders them.
    const r = buildIncidentReview([...events].reverse(), { now });
    expect(r).toMatchObject({
      incidentId: 'am-1',
      title: 'Replication lag (firing, 1 alert(s))',
      openedAt: '2026-12-04T10:00:00.000Z',
      endedAt: '2026-12-04T10:00:30.500Z',
      outcome: 'cancelled',
      durationMs: 30_500,
    });
    expect(r.decisions.map((d) => [d.actor.id, d.actor.channel, d.verb, d.approvalId ?? d.stepId])).toEqual([
      ['lee', 'cli', 'approved', 'restart-1'],
      ['bob', 'api', 'rejected', 'scale-1'],
      ['alice', 'temporal-ui', 'opted out', 'drain'],
      ['lee', 'cli', 'requested an emergency stop', undefined],
    ]);
    const [approve, reject, optOut, stop] = r.decisions;
    expect(approve).toMatchObject({
      sinceRequestMs: 7000,
      sinceFirstNotificationMs: 6800,
      sinceOpenedMs: 8000,
      reason: 'drain longer',
      adjustedInputs: { drainSeconds: 45 },
      inputs: { drainSeconds: 45 },
      stepOutcome: { type: 'mitigation.succeeded', offsetMs: 9100 },
      resolvedAfter: { type: 'alert.joined', afterMs: 4000 },
    });
    expect(approve!.followedBy.map((f) => f.type)).toEqual([
      'mitigation.started',
      'mitigation.succeeded',
      'alert.joined',
      'approval.requested',
    ]);
    expect(reject).toMatchObject({
      sinceRequestMs: 7000,
      sinceFirstNotificationMs: 6900,
      stepOutcome: { type: 'step.skipped' },
    });
    // An opt-out answers no request here: latency from the incident's first notification.
    expect(optOut).toMatchObject({
      stepId: 'drain',
      sinceFirstNotificationMs: 23_800,
      stepOutcome: { type: 'step.skipped' },
    });
    expect(optOut!.sinceRequestMs).toBeUndefined();
    expect(stop!.followedBy[0]).toMatchObject({ type: 'response.cancelled' });
  });

  it('lists requests with reminders and escalations, who never answered, blocks and compensations', () => {
    const r = buildIncidentReview(trail(), { now });
    expect(r.requests).toMatchObject([
      {
        approvalId: 'restart-1',
        outcome: 'granted',
        reminders: ['2026-12-04T10:00:03.000Z'],
        escalations: [{ summary: 'No answer in time: escalated to lead' }],
        notifications: [
          { tier: 'tier1', people: ['bob', 'erin'] },
          {
            tier: 'lead',
            people: ['lee'],
            sent: [
              { channel: 'webhook', to: '*' },
              { channel: 'slack', to: 'U0LEE' },
            ],
          },
          { kind: 'approval.decided', people: ['lee', 'dana'] },
        ],
      },
      { approvalId: 'scale-1', outcome: 'rejected', closedAt: '2026-12-04T10:00:20.000Z' },
    ]);
    expect(r.unanswered).toEqual([
      expect.objectContaining({
        person: 'bob',
        approvalId: 'restart-1',
        actedElsewhere: true,
        requestOutcome: 'granted',
      }),
      expect.objectContaining({ person: 'erin', approvalId: 'restart-1', actedElsewhere: false }),
      expect.objectContaining({ person: 'erin', approvalId: 'scale-1', requestOutcome: 'rejected' }),
    ]);
    expect(r.guardrailBlocks.map((g) => g.summary)).toEqual(['drain waits: exclusion rule r1']);
    expect(r.compensations).toEqual([
      expect.objectContaining({
        stepId: 'restart',
        ok: true,
        cause: expect.objectContaining({ type: 'response.cancelled' }),
      }),
    ]);
  });

  it('says a request nobody decided before the response ended was never decided', () => {
    const events = trail().filter((e) => e.type !== 'approval.rejected');
    expect(buildIncidentReview(events, { now }).requests[1]).toMatchObject({
      approvalId: 'scale-1',
      outcome: 'never decided',
    });
    // While the response runs, it is pending.
    const open = events.filter((e) => !['response.cancelled', 'mitigation.compensated'].includes(e.type));
    expect(buildIncidentReview(open, { now }).requests[1]!.outcome).toBe('pending');
  });

  it('adds what the status says while the response is open, and events not indexed yet', () => {
    const events = trail().slice(0, 6);
    const late = trail()[6]!; // indexed later; the status already has it
    const r = buildIncidentReview(events, {
      now,
      status: {
        phase: 'awaiting-approval',
        blockedBy: [],
        approvals: [
          {
            id: 'restart-1',
            stepId: 'restart',
            state: 'pending',
            tier: 'lead',
            expiresAt: 'x',
            notified: [{ people: ['lee'] }],
          },
        ],
        timeline: [late],
      },
    });
    expect(r.outcome).toBe('open');
    expect(r.endedAt).toBeUndefined();
    expect(r.timeline.at(-1)!.type).toBe('approval.adjusted');
    expect(r.live).toEqual({
      phase: 'awaiting-approval',
      blockedBy: [],
      waitingFor: [{ approvalId: 'restart-1', stepId: 'restart', tier: 'lead', expiresAt: 'x', people: ['lee'] }],
    });
  });

  it('renders Markdown with the facts, people text kept on one line and out of table syntax', () => {
    const md = reviewMarkdown(buildIncidentReview(trail(), { now }));
    expect(md).toContain('# Incident review: Replication lag (firing, 1 alert(s))');
    expect(md).toContain('### 1. Lee Lead approved restart-1');
    expect(md).toContain('- Who: Lee Lead (`lee`) through cli, at 2026-12-04 10:00:08.000Z');
    expect(md).toContain(
      '- Latency: 7.0 s after the request; 6.8 s after the first notification; 8.0 s after the response opened',
    );
    expect(md).toContain('- Adjusted inputs: drainSeconds = 45');
    expect(md).toContain('- Reason: “not | now really”');
    expect(md).toContain('| approval.rejected | Bob Approver (api) | approval.rejected summary “not \\| now really” |');
    // Markup from event text is escaped: "webhook to *" must not start an emphasis.
    expect(md).toContain('approval.requested to tier tier1: bob, erin (webhook to \\*)');
    // A request's history in time order: notifications, the reminder, the escalation.
    expect(md).toMatch(
      /approval\.requested to tier tier1[^]*reminder due[^]*escalated: [^]*approval\.escalated to tier lead/,
    );
    expect(md).toContain('- erin: scale-1 (scale), notified 2026-12-04 10:00:13.100Z; the request was rejected');
    expect(md).toContain(
      '- 2026-12-04 10:00:31.000Z mitigation.compensated: mitigation.compensated summary, after response.cancelled',
    );
  });

  it('reads the notification line exactly as the workflow writes it', () => {
    const at = '2026-12-04T10:00:00Z';
    const report = {
      recipients: [{ tier: 'sme:postgres', people: ['dana', 'lee'] }],
      deliveries: [
        { channel: 'slack' as const, to: 'U0DANA', ok: true, at },
        { channel: 'email' as const, to: 'lee', ok: true, at },
        { channel: 'pagerduty' as const, to: 'pagerduty:abc', ok: false, at, error: 'down' },
      ],
    };
    const n = { kind: 'approval.requested' } as Parameters<typeof describeDeliveries>[0];
    expect(parseDelivered(describeDeliveries(n, report).delivered!)).toEqual({
      kind: 'approval.requested',
      tier: 'sme:postgres',
      onCall: ['dana', 'lee'],
      sent: [
        { channel: 'slack', to: 'U0DANA' },
        { channel: 'email', to: 'lee' },
      ],
      people: ['dana', 'lee'],
    });
    // No on-call source: the personal destinations are the people reached.
    const plain = describeDeliveries(n, { recipients: [{ tier: 'tier1' }], deliveries: report.deliveries.slice(0, 2) });
    expect(parseDelivered(plain.delivered!)?.people).toEqual(['U0DANA', 'lee']);
    const nobody = describeDeliveries(n, {
      recipients: [{ tier: 'night', people: [] }],
      deliveries: [report.deliveries[1]!],
    });
    expect(parseDelivered(nobody.delivered!)).toMatchObject({ onCall: [], people: [] });
    expect(parseDelivered('something else')).toBeUndefined();
  });

  it('words durations as people read them', () => {
    expect([850, 4200, 185_000, 7_800_000].map(formatDuration)).toEqual([
      '850 ms',
      '4.2 s',
      '3 min 05 s',
      '2 h 10 min',
    ]);
  });

  it('prints PDFs only with a Chromium: unset, a clear refusal; a wrong path stops the gateway naming CHROMIUM_PATH', async () => {
    await expect(createPdfRenderer(undefined).print('<p>x</p>', 'x')).rejects.toThrow(PdfUnavailableError);
    await expect(createPdfRenderer(undefined).print('<p>x</p>', 'x')).rejects.toThrow(/set CHROMIUM_PATH/);
    expect(() => chromiumPathSetting('/nonexistent/chromium')).toThrow(ConfigError);
    expect(() => chromiumPathSetting('/nonexistent/chromium')).toThrow(
      /^CHROMIUM_PATH: \/nonexistent\/chromium is not an executable file/,
    );
    expect(() => chromiumPathSetting('/tmp')).toThrow(/CHROMIUM_PATH/);
    expect(chromiumPathSetting('/bin/sh')).toBe('/bin/sh');
    expect(chromiumPathSetting(undefined)).toBeUndefined();
  });
});
