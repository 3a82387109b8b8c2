import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { alertmanagerWebhook, startHarness, uniqueGroupKey, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { incidentIdFor } from '../../src/domain/incident/incident-id.js';

/**
 * Alerts for an incident whose response has ended, through the real gateway, Temporal and
 * OpenSearch: recorded on the incident; a new response only after the quiet period and within
 * the hourly cap (here 2 s and 2); a resolved notification never starts one; a responder can.
 */
const QUIET_MS = 2000;
let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  h = await startHarness({
    playbooks: {
      'quick.yaml': `
id: quick
version: 1
match: { labels: { alertname: Refire } }
steps:
  - id: look
    kind: diagnostic
    action: shell.command
    params: { command: ["true"] }
`,
      'waits.yaml': `
id: waits
version: 1
match: { labels: { alertname: RefireWaits } }
steps:
  - id: act
    kind: mitigation
    action: shell.command
    params: { command: ["true"] }
    policy: { mode: approval, tier: tier1, approvers: 1, timeout: 10m }
`,
    },
    refirePolicy: { quietPeriodMs: QUIET_MS, maxAutomatedPerHour: 2 },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
});

const send = (groupKey: string, opts: { status?: 'firing' | 'resolved'; alertname?: string; query?: string } = {}) =>
  h.request('POST', `/v1/alerts/alertmanager${opts.query ?? ''}`, {
    as: 'alertmanager',
    body: alertmanagerWebhook(groupKey, { status: opts.status, labels: { alertname: opts.alertname ?? 'Refire' } }),
  });

async function runs(incidentId: string): Promise<Array<{ runId: string; status: string }>> {
  const found = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = 'incident-${incidentId}'` }))
    found.push({ runId: wf.runId, status: wf.status.name });
  return found;
}

/** Open a response for a new incident and wait until it has ended. */
async function endedIncident(label: string): Promise<{ groupKey: string; id: string }> {
  const groupKey = uniqueGroupKey(label);
  const first = await send(groupKey);
  expect(first.status).toBe(202);
  expect(first.body.outcome).toBe('delivered');
  expect((await r.result(first.body.incidentId)).phase).toBe('completed');
  return { groupKey, id: first.body.incidentId };
}

const refires = async (id: string) =>
  (await h.audit.incidentEvents(id)).filter((e) => e.type === 'alert.refired' || e.type === 'alert.ignored');

describe('alerts for an ended incident', () => {
  it('a storm of 20 re-fires after the end opens at most what the policy allows and records every one', async () => {
    const { groupKey, id } = await endedIncident('storm');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));

    // Quiet period over, 1 of 2 automated responses used: the storm may open exactly one more.
    const storm = await Promise.all(Array.from({ length: 20 }, () => send(groupKey)));
    const outcomes = storm.map((s) => s.body.outcome);
    expect(storm.every((s) => s.status === (s.body.outcome === 'recorded' ? 200 : 202))).toBe(true);
    expect(outcomes.filter((o) => o === 'reopened')).toHaveLength(1);
    expect(outcomes.every((o) => ['reopened', 'delivered', 'recorded'].includes(o))).toBe(true);
    await vi.waitFor(async () => expect(await runs(id)).toHaveLength(2), { timeout: 10_000, interval: 200 });
    expect((await r.result(id)).phase).toBe('completed');

    // Every delivery is on record: on the incident (re-fire records, the reopening claim
    // included) or in the new response's own trail (the one that opened it, those that joined).
    const joined = (await r.status(id)).timeline.filter((e: any) => e.type === 'alert.joined').length;
    const recorded = (await refires(id)).filter((e) => e.outcome === 'recorded');
    const reopened = (await refires(id)).filter((e) => e.outcome === 'reopened');
    expect(reopened).toHaveLength(1);
    expect(recorded).toHaveLength(outcomes.filter((o) => o === 'recorded').length);
    expect(joined).toBe(outcomes.filter((o) => o === 'delivered').length);
    expect(1 + recorded.length + joined).toBe(20);

    // The cap is reached (2 automated responses this hour): a second storm, after the quiet, starts nothing.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const capped = await Promise.all(Array.from({ length: 20 }, () => send(groupKey)));
    expect(capped.map((s) => s.status)).toEqual(Array(20).fill(200));
    expect(capped[0]!.body).toMatchObject({ outcome: 'recorded', recorded: true, started: false });
    expect(capped[0]!.body.reason).toMatch(/2 automated responses .*at most 2.*responder must restart/);
    expect(await runs(id)).toHaveLength(2);
    expect((await refires(id)).filter((e) => e.outcome === 'recorded')).toHaveLength(recorded.length + 20);

    // Auditors find them, and the ended responses' chains are untouched.
    const search = await h.request('GET', `/v1/audit/search?incident=${id}&type=alert.refired&limit=200`, {
      as: 'audrey',
    });
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(recorded.length + 21);
    const verify = await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' });
    expect(verify.body).toMatchObject({ intact: true, head: { checked: true } });

    // Past the cap a responder starts it, on the record.
    expect(
      (await h.request('POST', `/v1/incidents/${id}/restart`, { as: 'alice', body: { reason: 'x' } })).status,
    ).toBe(400);
    const restart = await h.request('POST', `/v1/incidents/${id}/restart`, {
      as: 'alice',
      body: { reason: 'flapping replica, checked by hand' },
    });
    expect(restart.status).toBe(202);
    expect(restart.body).toMatchObject({ outcome: 'restarted', incidentId: id });
    await vi.waitFor(async () => expect(await runs(id)).toHaveLength(3), { timeout: 10_000, interval: 200 });
    const restarted = (await h.audit.incidentEvents(id)).find((e) => e.type === 'response.restart-requested');
    expect(restarted).toMatchObject({ actor: { id: 'alice' }, reason: 'flapping replica, checked by hand' });
    expect((await r.result(id)).phase).toBe('completed');
    // A running response is steered, not restarted; an auditor may not restart; an unknown incident is 404.
    expect(
      (await h.request('POST', `/v1/incidents/${id}/restart`, { as: 'audrey', body: { reason: 'no' } })).status,
    ).toBe(403);
    const unknown = incidentIdFor('alertmanager', uniqueGroupKey('never'));
    expect(
      (await h.request('POST', `/v1/incidents/${unknown}/restart`, { as: 'alice', body: { reason: 'nothing' } }))
        .status,
    ).toBe(404);
  });

  it('a resolved alert after the end starts nothing (nor does one for an incident never opened)', async () => {
    const { groupKey, id } = await endedIncident('resolved');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const resolved = await send(groupKey, { status: 'resolved' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ outcome: 'recorded', started: false });
    expect(resolved.body.reason).toMatch(/resolved notification never starts/);
    expect(await runs(id)).toHaveLength(1);
    expect(await refires(id)).toMatchObject([{ type: 'alert.refired', outcome: 'recorded' }]);

    const fresh = uniqueGroupKey('resolved-first');
    const lone = await send(fresh, { status: 'resolved' });
    expect(lone.status).toBe(200);
    expect(lone.body).toMatchObject({ outcome: 'recorded', started: false });
    expect((await r.status(lone.body.incidentId)).error.code).toBe('not_found');
    expect(await refires(lone.body.incidentId)).toMatchObject([{ type: 'alert.ignored' }]);
  });

  it('within the quiet period a re-fire is recorded; after it a new response opens', async () => {
    const { groupKey, id } = await endedIncident('quiet');
    const early = await send(groupKey);
    expect(early.status).toBe(200);
    expect(early.body.reason).toMatch(/after 2 s of quiet/);
    expect(await runs(id)).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const later = await send(groupKey);
    expect(later.status).toBe(202);
    expect(later.body).toMatchObject({ outcome: 'reopened', started: true });
    expect(later.headers.get('location')).toBe(`/v1/incidents/${id}`);
    expect((await r.result(id)).phase).toBe('completed');
    const s = await r.status(id);
    expect(s.deliveries).toBe(1);
    expect(r.types(s)[0]).toBe('response.opened');
    await vi.waitFor(async () => expect(await runs(id)).toHaveLength(2), { timeout: 10_000, interval: 200 });
  });

  it('a dry run beside a real response does not collide: its own ID, found by the status and listing routes', async () => {
    const groupKey = uniqueGroupKey('dry-beside');
    const real = await send(groupKey, { alertname: 'RefireWaits' });
    const id = real.body.incidentId;
    await r.pendingApproval(id);

    const dry = await send(groupKey, { alertname: 'RefireWaits', query: '?dryRun=true' });
    expect(dry.status).toBe(202);
    expect(dry.body.outcome).toBe('dry-run');
    expect(dry.body.incidentId).toMatch(new RegExp(`^dryrun-${id}-\\d+$`));
    expect(dry.body.workflowId).not.toBe(real.body.workflowId);
    expect(dry.headers.get('location')).toBe(`/v1/incidents/${dry.body.incidentId}`);

    const dryStatus = await r.until(dry.body.incidentId, (s) => s.approvals?.length === 1);
    expect(dryStatus).toMatchObject({ dryRun: true, deliveries: 1 });
    const realStatus = await r.status(id);
    expect(realStatus).toMatchObject({ dryRun: false, deliveries: 1, phase: 'awaiting-approval' });

    await vi.waitFor(
      async () => {
        const list = await h.request('GET', '/v1/incidents?awaitingApproval=true&limit=200', { as: 'alice' });
        const ids = list.body.incidents.map((i: any) => i.incidentId);
        expect(ids).toEqual(expect.arrayContaining([id, dry.body.incidentId]));
      },
      { timeout: 10_000, interval: 200 },
    );
    for (const which of [id, dry.body.incidentId])
      expect((await r.post(which, 'cancel', 'alice', { reason: 'test cleanup' })).status).toBe(202);
  });
});
