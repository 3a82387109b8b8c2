import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/clients/notify/render-text.js';
import { webhookNotifier } from '../../src/clients/notify/notifier.js';
import {
  notificationLinks,
  NOTIFICATION_KINDS,
  type Notification,
} from '../../src/domain/notification/notification.js';

const base: Notification = {
  kind: 'approval.requested',
  id: 'incident-x:notification:1',
  incidentId: 'am-1',
  workflowId: 'incident-am-1',
  title: 'Replication lag',
  service: 'payments-db',
  environment: 'prod',
  severity: 'critical',
  dryRun: false,
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
      incidentId: 'am-1',
      title: 'Replication lag',
      service: 'payments-db',
      environment: 'prod',
      severity: 'critical',
      alerts: [],
      action: 'http.request',
      params: { url: 'http://db/restart' },
      adjustable: {},
      impact: 'reads fail over for 30 s',
      risk: 'high',
      policySource: 'org default',
      diagnostics: [],
      ifNobodyAnswers: 'it does not run',
      dryRun: false,
    },
  },
};

describe('notification rendering', () => {
  it('renders every kind as text naming what happened', () => {
    const texts = NOTIFICATION_KINDS.map((kind) =>
      renderText({ ...base, kind, actor: { id: 'bob', name: 'Bob', channel: 'api' }, reason: 'looks right' }),
    );
    expect(new Set(texts).size).toBe(NOTIFICATION_KINDS.length);
    expect(texts[0]).toContain('approval needed for restart from tier1 (restart-1, until 2026-11-23T10:15:00.000Z)');
    expect(texts[0]).toContain('Impact: reads fail over for 30 s');
    expect(
      renderText({
        ...base,
        kind: 'approval.decided',
        approval: { ...base.approval!, state: 'approved' },
        actor: { id: 'bob', name: 'Bob', channel: 'api' },
        reason: 'ok',
      }),
    ).toContain('is approved by Bob: ok');
    expect(
      renderText({
        ...base,
        kind: 'killswitch.engaged',
        approval: undefined,
        actor: { id: 'a', name: 'Alice', channel: 'api' },
        reason: 'bad deploy',
      }),
    ).toBe('Kill switch engaged by Alice: bad deploy: no mitigation starts until it is released');
  });

  it('says what happened to a lost mitigation and what a person can do', () => {
    const text = renderText({
      ...base,
      kind: 'mitigation.needs-human',
      approval: undefined,
      recipients: [{ tier: 'responders' }],
      unknownEffect: {
        id: 'unknown-1',
        stepId: 'restart',
        action: 'http.request',
        parameters: {},
        startedAt: '2026-11-23T10:00:00.000Z',
        lostAt: '2026-11-23T10:00:06.000Z',
        cause: 'heartbeat-timeout',
        detail: 'activity Heartbeat timeout',
        effect: 'unknown',
        startedEventId: 'e1',
        eventId: 'e2',
        options: [
          { choice: 'retry', verified: true, does: 'run it again' },
          { choice: 'mark-done', verified: true, does: 'record it done' },
          { choice: 'hand-over', verified: false, does: 'a person takes over' },
        ],
        state: 'open',
      },
    });
    expect(text).toBe(
      'Replication lag: restart (http.request) started 2026-11-23T10:00:00.000Z was lost at 2026-11-23T10:00:06.000Z ' +
        '(heartbeat-timeout): its effect is UNKNOWN. It will not be retried by itself. Choose: retry (run it again); ' +
        'mark-done (record it done); hand-over (a person takes over)',
    );
  });

  it('names who is on call, or says that nobody is', () => {
    expect(renderText({ ...base, recipients: [{ tier: 'tier1', people: ['bob', 'erin'] }] })).toContain(
      'from tier1 (on call: bob, erin) (restart-1',
    );
    expect(renderText({ ...base, recipients: [{ tier: 'tier1', people: [] }] })).toContain('(nobody is on call)');
    expect(renderText(base)).not.toContain('on call');
  });

  it('builds links from the configured bases only', () => {
    expect(notificationLinks({ namespace: 'default' }, base)).toEqual({
      status: undefined,
      console: undefined,
      temporalUi: undefined,
    });
    expect(
      notificationLinks(
        {
          gatewayUrl: 'https://il.example/',
          temporalUiUrl: 'https://tui.example',
          consoleUrl: 'https://il.example/console',
          namespace: 'prod ns',
        },
        base,
      ),
    ).toEqual({
      status: 'https://il.example/v1/incidents/am-1',
      console: 'https://il.example/console/incidents/am-1',
      temporalUi: 'https://tui.example/namespaces/prod%20ns/workflows/incident-am-1',
    });
    expect(renderText({ ...base, links: { status: 'https://il.example/v1/incidents/am-1' } })).toMatch(
      /\nhttps:\/\/il\.example\/v1\/incidents\/am-1$/,
    );
  });

  it('the webhook channel posts the structured notification with its text, and fails on a non-2xx answer', async () => {
    const received: unknown[] = [];
    let answer = 204;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ type: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const notifier = webhookNotifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
      await notifier.send(base);
      expect(received).toEqual([{ type: 'application/json', body: { ...base, text: renderText(base) } }]);
      answer = 500;
      await expect(notifier.send(base)).rejects.toThrow('notification webhook answered HTTP 500');
    } finally {
      server.close();
    }
  });
});
