import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesConfig } from '../../src/clients/kubernetes/config.js';
import { startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';

/**
 * The `k8s` kind against a REAL cluster, which the stand-in (test/support/fake-kubernetes.ts) can
 * only imitate. It runs only when KUBECONFIG names a cluster it may create a namespace in (kind,
 * minikube, a scratch cluster): none can be had offline on the machines this suite usually runs on,
 * so it is skipped there, and says so. It creates namespace interlock-test-<random> with a small
 * deployment (image K8S_TEST_IMAGE, default registry.k8s.io/pause:3.9) and deletes it afterwards.
 */
const kubeconfig = process.env.KUBECONFIG;
const SKIP_REASON = 'skipped: KUBECONFIG is not set (no Kubernetes cluster here; set it to a scratch cluster to run)';
if (!kubeconfig) console.info(`k8s-real-cluster: ${SKIP_REASON}`);

describe.skipIf(!kubeconfig)(
  `k8s action kind against a real cluster (${kubeconfig ? 'KUBECONFIG set' : SKIP_REASON})`,
  () => {
    const namespace = `interlock-test-${Math.random().toString(36).slice(2, 8)}`;
    const config = kubernetesConfig({ KUBECONFIG: kubeconfig })!;
    let h: Harness;
    let r: ReturnType<typeof responses>;

    beforeAll(async () => {
      const core = config().makeApiClient(CoreV1Api);
      const apps = config().makeApiClient(AppsV1Api);
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: process.env.K8S_TEST_IMAGE ?? 'registry.k8s.io/pause:3.9' }] },
            },
          },
        },
      });
      const step = (alertname: string, params: string) => `
id: real-${alertname.toLowerCase()}
version: 1
match: { labels: { alertname: ${alertname} } }
steps:
  - { id: act, kind: mitigation, action: k8s, params: ${params} }
`;
      h = await startHarness({
        playbooks: {
          'wait.yaml': step('RealWait', `{ operation: wait-rollout, namespace: ${namespace}, name: web, timeout: 3m }`),
          'restart.yaml': step(
            'RealRestart',
            `{ operation: rollout-restart, namespace: ${namespace}, name: web, timeout: 3m }`,
          ),
          'scale.yaml': step(
            'RealScale',
            `{ operation: scale, namespace: ${namespace}, name: web, replicas: 2, timeout: 3m }`,
          ),
        },
        policy: 'default: { mode: auto }',
        actions: { kubernetes: config },
      });
      r = responses(h);
    }, 240_000);
    afterAll(async () => {
      await h?.stop();
      await config()
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
    });

    const runStep = async (alertname: string) => {
      const id = await r.open(`real-${alertname}`, { labels: { alertname } });
      const s = await r.until(id, (x) => ['succeeded', 'failed'].includes(x.steps[0]?.state), 200_000);
      expect(s.steps[0].state, s.steps[0].error).toBe('succeeded');
      return s.steps[0].output;
    };

    it('waits for the first rollout, restarts it (the annotation lands in the template), scales it recording the old count', async () => {
      await runStep('RealWait');
      await runStep('RealRestart');
      const apps = config().makeApiClient(AppsV1Api);
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
      expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
      expect(d.metadata?.managedFields?.some((f) => f.manager === 'interlock')).toBe(true);
      expect(await runStep('RealScale')).toMatchObject({ previousReplicas: 1, replicas: 2 });
    }, 600_000);
  },
);
