import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * People keep opening the Temporal UI: each response says what it is there. A static summary and
 * details from its start (the alert and the service), a summary on every activity and timer
 * saying what it does, read here from the real server's description and history.
 */
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url, { remindAfter: '1m', escalation: ['lead'] }),
      'plain.yaml': restartPlaybook(target.url, { alertname: 'Plain', escalation: ['lead'] }).replace(
        'id: restart-replica\n',
        'id: plain\n',
      ),
    },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const text = (payload: unknown) =>
  payload ? (defaultPayloadConverter.fromPayload(payload as never) as string) : undefined;

describe('the Temporal UI', () => {
  it('shows a summary from the start, and what each activity and timer is for', async () => {
    const id = await r.open('temporal-ui', {
      labels: { service: 'orders-db', environment: 'prod', severity: 'critical' },
    });
    const approval = await r.pendingApproval(id);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'looks right' })).status).toBe(200);
    await r.result(id);
    const handle = h.client.workflow.getHandle(`incident-${id}`);
    const described = await handle.describe();
    expect(await described.staticSummary()).toMatch(/ on orders-db\/prod \(critical, from alertmanager\)$/);
    expect(await described.staticDetails()).toMatch(/\*\*PostgresReplicationLag\*\* firing/);

    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .map((e) => text(e.userMetadata?.summary))
      .filter((s): s is string => typeof s === 'string');
    const target = new URL((await r.status(id)).steps[1].params.url).host;
    expect(summaries).toEqual(
      expect.arrayContaining([
        `check-lag: GET ${target}/diagnostics/lag`,
        `restart-replica: POST ${target}/mitigations/restart`,
        'notify tier1: approval.requested (restart-replica-1)',
        'remind tier1 approvers (restart-replica-1)',
        'notify tier1: approval.decided (restart-replica-1)',
      ]),
    );
    // Never a secret: the mitigation sends an Authorization header, which no summary mentions.
    expect(summaries.join('\n')).not.toMatch(/super-secret-token/);
  });

  it('names the escalation a request waits for', async () => {
    const id = await r.open('temporal-ui-escalation', { labels: { alertname: 'Plain' } });
    const approval = await r.pendingApproval(id);
    const handle = h.client.workflow.getHandle(`incident-${id}`);
    const history = await handle.fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
    expect(timers.map((e) => text(e.userMetadata?.summary))).toEqual([`escalate ${approval.id} to lead`]);
    await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
  });
});
