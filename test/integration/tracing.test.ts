import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { workflowSpanSink } from '../../src/worker/create-worker.js';
import { startTracing, type Tracing } from '../../src/clients/telemetry/tracing.js';
import {
  alertmanagerWebhook,
  restartPlaybook,
  startHarness,
  uniqueGroupKey,
  type Harness,
} from '../support/harness.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * One decision, traced end to end through a real OTLP/HTTP exporter into a local receiver: the
 * gateway's request span, the Temporal client's update, the workflow's update handler, the
 * scheduling of the mitigation it allowed, and the activity that ran it, in one trace.
 */
let receiver: OtlpReceiver;
let tracing: Tracing;
let target: TargetServer;
let h: Harness;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  tracing = startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'interlock-test' }, 'x')!;
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) }, tracing });
}, 180_000);
afterAll(async () => {
  await h?.stop();
  await tracing?.shutdown();
  await target?.close();
  await receiver?.close();
});

describe('tracing', () => {
  it('puts the HTTP decision, the client update, the workflow and the mitigation activity in one trace', async () => {
    const alert = await h.request('POST', '/v1/alerts/alertmanager', {
      as: 'alertmanager',
      body: alertmanagerWebhook(uniqueGroupKey('trace')),
    });
    expect(alert.status).toBe(202);
    const incidentId: string = alert.body.incidentId;
    await vi.waitFor(
      async () => {
        const s = await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' });
        expect(s.body.approvals?.[0]?.state).toBe('pending');
      },
      { timeout: 30_000, interval: 100 },
    );
    const decision = await h.request('POST', `/v1/incidents/${incidentId}/approvals/restart-replica-1`, {
      as: 'bob',
      body: { decision: 'approve', reason: 'traced decision' },
    });
    expect(decision.status).toBe(200);
    await h.client.workflow.getHandle(`incident-${incidentId}`).result();

    const byId = new Map<string, ReceivedSpan>();
    const chainOf = (span: ReceivedSpan) => {
      const chain = [span];
      for (let s = span; s.parentSpanId && byId.has(s.parentSpanId); s = byId.get(s.parentSpanId)!)
        chain.unshift(byId.get(s.parentSpanId)!);
      return chain;
    };
    const mitigationRun = await vi.waitFor(
      async () => {
        await tracing.forceFlush();
        for (const s of receiver.spans) byId.set(s.spanId, s);
        // The activity that ran the approved mitigation (its chain starts at the decision request).
        const run = receiver.spans
          .filter((s) => s.name === 'RunActivity:runAction')
          .find((s) => chainOf(s)[0]!.name === 'POST /v1/incidents/:id/approvals/:approvalId');
        expect(run).toBeDefined();
        return run!;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(receiver.problems).toEqual([]);
    const chain = chainOf(mitigationRun);
    expect(chain.map((s) => s.name)).toEqual([
      'POST /v1/incidents/:id/approvals/:approvalId',
      'StartWorkflowUpdate:decide',
      'HandleUpdate:decide',
      'StartActivity:runAction',
      'RunActivity:runAction',
    ]);
    // One trace id, each span the child of the one before (chainOf followed parentSpanId).
    expect(new Set(chain.map((s) => s.traceId)).size).toBe(1);
    expect(chain[0]!.parentSpanId).toBeUndefined();
    expect(chain[0]!.service).toBe('interlock-test');
    expect(chain[0]!.attributes['http.response.status_code']).toBe(200);
    // The decision's span names the route, never the raw path (paths may carry tokens).
    expect(JSON.stringify(chain[0]!.attributes)).not.toContain(incidentId);

    // A traced response stays replayable by a worker whose tracing is off (a restart without
    // OTEL settings): the history, not the worker's configuration, says it is traced.
    const history = await h.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
    const before = receiver.spans.length;
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: inject('workflowBundlePath') },
        sinks: { exporter: workflowSpanSink(undefined) },
      },
      history,
      `incident-${incidentId}`,
    );
    await tracing.forceFlush();
    expect(receiver.spans.length).toBe(before);
  });
});
