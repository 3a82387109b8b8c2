import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function runsOf(workflowId: string): Promise<number> {
  let count = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) count++;
  return count;
}

describe('Alertmanager intake', () => {
  it('joins repeated webhooks for the same alert group to one running response', async () => {
    const groupKey = uniqueGroupKey('dedup');
    const deliveries = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.request('POST', '/v1/alerts/alertmanager', { as: 'alertmanager', body: alertmanagerWebhook(groupKey) }),
      ),
    );
    expect(deliveries.map((d) => d.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set(deliveries.map((d) => d.body.incidentId));
    expect(ids.size).toBe(1);
    const runIds = new Set(deliveries.map((d) => d.body.runId));
    expect(runIds.size).toBe(1);
    const [incidentId] = [...ids];

    const status = await vi.waitFor(
      async () => {
        const s = (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
        expect(s.deliveries).toBe(5);
        return s;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(status.timeline.filter((e: { type: string }) => e.type === 'response.opened')).toHaveLength(1);
    expect(status.timeline.filter((e: { type: string }) => e.type === 'alert.joined')).toHaveLength(4);
    // Visibility is eventually consistent; one execution for this ID, ever.
    await vi.waitFor(async () => expect(await runsOf(`incident-${incidentId}`)).toBe(1), {
      timeout: 10_000,
      interval: 200,
    });
    await h.request('POST', `/v1/incidents/${incidentId}/cancel`, { as: 'alice', body: { reason: 'test cleanup' } });
  });

  it('starts separate responses for different alert groups', async () => {
    const a = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(uniqueGroupKey('a')),
    });
    const b = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(uniqueGroupKey('b')),
    });
    expect(a.body.incidentId).not.toBe(b.body.incidentId);
    for (const id of [a.body.incidentId, b.body.incidentId]) {
      await h.request('POST', `/v1/incidents/${id}/cancel`, { as: 'alice', body: { reason: 'test cleanup' } });
    }
  });

  it('refuses malformed and mis-shaped payloads with 400 and a message, starting nothing', async () => {
    const groupKey = uniqueGroupKey('bad');
    const malformed = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      rawBody: '{"version": "4", "groupKey": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'invalid_json', message: expect.any(String) });

    const wrongVersion = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: { ...alertmanagerWebhook(groupKey), version: '3' },
    });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.body.error.message).toMatch(/version/);

    const noAlerts = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: { ...alertmanagerWebhook(groupKey), alerts: [] },
    });
    expect(noAlerts.status).toBe(400);
    expect(noAlerts.body.error.message).toMatch(/alerts/);

    const labelsNotStrings = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: { ...alertmanagerWebhook(groupKey), commonLabels: { severity: 3 } },
    });
    expect(labelsNotStrings.status).toBe(400);
    expect(labelsNotStrings.body.error.message).toMatch(/commonLabels\.severity/);

    const array = await h.request('POST', '/v1/alerts/alertmanager', { as: 'alertmanager', body: [1, 2] });
    expect(array.status).toBe(400);

    // None of these started a response for the group.
    const { incidentIdFor } = await import('../../src/domain/incident/incident-id.js');
    const status = await h.request('GET', `/v1/incidents/${incidentIdFor('alertmanager', groupKey)}`, { as: 'alice' });
    expect(status.status).toBe(404);
  });

  it('accepts alerts only from authenticated alert sources', async () => {
    const body = alertmanagerWebhook(uniqueGroupKey('auth'));
    expect((await h.request('POST', '/v1/alerts/alertmanager', { body })).status).toBe(401);
    const asPerson = await h.request('POST', '/v1/alerts/alertmanager', { as: 'alice', body });
    expect(asPerson.status).toBe(403);
    expect(asPerson.body.error.message).toMatch(/alert-source/);
  });

  it('records a response with no matching playbook and automates nothing', async () => {
    const res = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(uniqueGroupKey('nomatch'), { labels: { alertname: 'DiskFull' } }),
    });
    expect(res.status).toBe(202);
    const result = await h.client.workflow.getHandle(res.body.workflowId).result();
    expect(result).toEqual({ phase: 'no-playbook', stepsRun: [] });
  });
});
