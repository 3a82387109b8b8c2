import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { historyToJsonObject } from '../support/history-json.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { kubernetesConfig } from '../../src/clients/kubernetes/config.js';

/**
 * The `k8s` action kind, run by the real worker from real responses on the real Temporal server
 * (audit in the real OpenSearch), against test/support/fake-kubernetes.ts: a stand-in API server
 * that checks each request as the Kubernetes API documents it. Every step here is a mitigation
 * the policy lets run on its own, so the response goes straight to it.
 */
let kube: FakeKubernetes;
let h: Harness;
let r: ReturnType<typeof responses>;

/** One playbook per operation, matched by alertname; `params` is the step's YAML flow mapping. */
function playbook(alertname: string, params: string, inputs = '{}') {
  return `
id: k8s-${alertname.toLowerCase()}
version: 1
match: { labels: { alertname: ${alertname} } }
steps:
  - id: act
    kind: mitigation
    action: k8s
    inputs: ${inputs}
    params: ${params}
`;
}

beforeAll(async () => {
  kube = await startFakeKubernetes();
  h = await startHarness({
    playbooks: {
      'restart.yaml': playbook(
        'K8sRestart',
        '{ operation: rollout-restart, namespace: "{{labels.namespace}}", name: "{{labels.deployment}}", timeout: 20s }',
      ),
      'scale.yaml': playbook(
        'K8sScale',
        '{ operation: scale, namespace: shop, name: "{{labels.deployment}}", replicas: "{{inputs.replicas}}", timeout: 20s }',
        '{ replicas: { type: integer, default: 5, min: 0, max: 10 } }',
      ),
      'cordon.yaml': playbook('K8sCordon', '{ operation: cordon, name: "{{labels.node}}", timeout: 10s }'),
      'delete.yaml': playbook(
        'K8sDeletePod',
        '{ operation: delete-pod, namespace: shop, name: "{{labels.pod}}", gracePeriodSeconds: 0, timeout: 10s }',
      ),
      'wait.yaml': playbook(
        'K8sRestartShort',
        '{ operation: rollout-restart, namespace: shop, name: "{{labels.deployment}}", timeout: 2s }',
      ),
      'wait-long.yaml': playbook(
        'K8sRestartLong',
        '{ operation: rollout-restart, namespace: shop, name: "{{labels.deployment}}", timeout: 60s }',
      ),
    },
    policy: 'default: { mode: auto }',
    actions: { kubernetes: kubernetesConfig({ KUBECONFIG: kube.kubeconfigPath }), rolloutPollMs: 100 },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await kube?.close();
});

const ended = (s: any) => ['succeeded', 'failed', 'cancelled'].includes(s.steps[0]?.state);
const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/shop/deployments/${name}`;

describe('k8s action kind (against a stand-in API server)', () => {
  it('rollout restart: one strategic merge patch of the restartedAt annotation, then waits for the rollout', async () => {
    kube.addDeployment('shop', 'web', 3);
    const id = await r.open('k8s-restart', {
      labels: { alertname: 'K8sRestart', namespace: 'shop', deployment: 'web' },
    });
    const s = await r.until(id, ended);
    expect(s.steps[0].state, s.steps[0].error).toBe('succeeded');

    const [patch, ...more] = kube.to('PATCH', deploymentPath('web'));
    expect(more).toEqual([]);
    expect(patch!.contentType).toBe('application/strategic-merge-patch+json');
    expect(patch!.query).toEqual({ fieldManager: 'interlock' });
    expect(patch!.authorization).toBe(`Bearer ${kube.token}`);
    const restartedAt = (patch!.body as any).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(patch!.body).toEqual({
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } },
    });
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(restartedAt) - Date.now())).toBeLessThan(60_000);
    // It waited: the rollout was read until every replica was updated and available.
    expect(kube.to('GET', deploymentPath('web')).length).toBeGreaterThanOrEqual(4);
    expect(s.steps[0].output).toMatchObject({
      operation: 'rollout-restart',
      target: 'shop/web',
      rollout: { replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    });
    expect(kube.deployment('shop', 'web')!.metadata.generation).toBe(2);

    // The cluster credentials are nowhere in the history or the audit trail.
    const raw = JSON.stringify(historyToJsonObject(await h.client.workflow.getHandle(`incident-${id}`).fetchHistory()));
    // Payloads are base64 in the history: read them decoded as well as raw.
    const history =
      raw +
      [...raw.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString()).join('\n');
    expect(history.includes('"operation":"rollout-restart"')).toBe(true);
    expect(history.includes(kube.token)).toBe(false);
    const audit = await h.request('GET', `/v1/audit/export?incident=${id}&format=ndjson`, { as: 'audrey' });
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body).includes(kube.token)).toBe(false);
  });

  it('scale: records the previous replicas (for scaling back) and changes only spec.replicas, conditionally', async () => {
    kube.addDeployment('shop', 'api', 3);
    const id = await r.open('k8s-scale', { labels: { alertname: 'K8sScale', deployment: 'api' } });
    const s = await r.until(id, ended);
    expect(s.steps[0].state, s.steps[0].error).toBe('succeeded');
    expect(s.steps[0].output).toMatchObject({ operation: 'scale', previousReplicas: 3, replicas: 5 });

    expect(kube.to('GET', `${deploymentPath('api')}/scale`)).toHaveLength(1);
    const [patch] = kube.to('PATCH', `${deploymentPath('api')}/scale`);
    expect(patch!.contentType).toBe('application/merge-patch+json');
    expect(patch!.query).toEqual({ fieldManager: 'interlock' });
    expect(patch!.body).toEqual({ metadata: { resourceVersion: expect.any(String) }, spec: { replicas: 5 } });
    expect(kube.deployment('shop', 'api')!.spec.replicas).toBe(5);
  });

  it('cordon: patches spec.unschedulable of the node', async () => {
    kube.addNode('node-7');
    const id = await r.open('k8s-cordon', { labels: { alertname: 'K8sCordon', node: 'node-7' } });
    const s = await r.until(id, ended);
    expect(s.steps[0].state, s.steps[0].error).toBe('succeeded');
    const [patch, ...more] = kube.to('PATCH', '/api/v1/nodes/node-7');
    expect(more).toEqual([]);
    expect(patch!.contentType).toBe('application/strategic-merge-patch+json');
    expect(patch!.query).toEqual({ fieldManager: 'interlock' });
    expect(patch!.body).toEqual({ spec: { unschedulable: true } });
    expect(kube.node('node-7')!.spec.unschedulable).toBe(true);
  });

  it('delete pod: one DELETE of that pod, with the grace period asked for', async () => {
    kube.addPod('shop', 'web-abc12');
    kube.addPod('shop', 'web-def34');
    const id = await r.open('k8s-delete', { labels: { alertname: 'K8sDeletePod', pod: 'web-abc12' } });
    const s = await r.until(id, ended);
    expect(s.steps[0].state, s.steps[0].error).toBe('succeeded');
    const deletes = kube.requests.filter((q) => q.method === 'DELETE');
    expect(deletes.map((q) => [q.path, q.query])).toEqual([
      ['/api/v1/namespaces/shop/pods/web-abc12', { gracePeriodSeconds: '0' }],
    ]);
    expect(kube.pod('shop', 'web-abc12')).toBeUndefined();
    expect(kube.pod('shop', 'web-def34')).toBeDefined();
  });

  it("a deployment that does not exist: the mitigation fails with the API's own message", async () => {
    const id = await r.open('k8s-missing', {
      labels: { alertname: 'K8sRestart', namespace: 'shop', deployment: 'ghost' },
    });
    const s = await r.until(id, ended);
    expect(s.steps[0].state).toBe('failed');
    expect(s.steps[0].error).toContain(
      'k8s rollout-restart shop/ghost: the API server answered 404 NotFound: deployments.apps "ghost" not found',
    );
    // Not repeated: a 404 will not change by trying again, and a mitigation is never retried blindly.
    expect(kube.to('PATCH', deploymentPath('ghost'))).toHaveLength(1);
  });

  it('a rollout that does not finish in time fails as timed out, saying what it was waiting for', async () => {
    kube.addDeployment('shop', 'stuck', 2);
    kube.hold('shop', 'stuck');
    const id = await r.open('k8s-timeout', {
      labels: { alertname: 'K8sRestartShort', deployment: 'stuck' },
    });
    const s = await r.until(id, ended, 30_000);
    expect(s.steps[0].state).toBe('failed');
    expect(s.steps[0].error).toMatch(
      /k8s rollout-restart shop\/stuck timed out after 2000 ms waiting for the rollout \(the deployment controller has not seen the change yet\)/,
    );
    expect(kube.to('PATCH', deploymentPath('stuck'))).toHaveLength(1);
  });

  it('an opt-out while waiting for the rollout stops the waiting promptly', async () => {
    kube.addDeployment('shop', 'slow', 2);
    kube.hold('shop', 'slow');
    const id = await r.open('k8s-optout', {
      labels: { alertname: 'K8sRestartLong', deployment: 'slow' },
    });
    const reads = () => kube.to('GET', deploymentPath('slow')).length;
    await r.until(id, () => reads() >= 3);
    const optedAt = Date.now();
    const res = await r.post(id, 'opt-out', 'alice', { reason: 'rolling back by hand' });
    expect(res.status).toBe(200);
    const s = await r.until(id, (x) => x.phase === 'opted-out' && ended(x), 10_000);
    expect(s.steps[0].state).not.toBe('succeeded');
    const stoppedAt = Date.now();
    const readsAtStop = reads();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // No read after the step ended: the wait is over, not merely ignored.
    expect(reads()).toBe(readsAtStop);
    expect(stoppedAt - optedAt).toBeLessThan(5_000);
    console.info(
      `k8s opt-out mid-wait: step ended ${stoppedAt - optedAt} ms after the opt-out was accepted (status polled every 50 ms)`,
    );
  });
});
