import { describe, expect, it } from 'vitest';
import { rolloutState } from '../../src/domain/kubernetes/rollout.js';
import { playbookSchema } from '../../src/domain/playbook/playbook.js';
import { actionSummary } from '../../src/domain/playbook/action-summary.js';

const deployment = (generation: number, replicas: number, status: Record<string, unknown>) => ({
  metadata: { generation },
  spec: { replicas },
  status,
});

describe('rolloutState (as kubectl rollout status judges it)', () => {
  it('waits until the controller has seen the change, every replica is updated, old ones are gone and new ones available', () => {
    expect(
      rolloutState(deployment(2, 3, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 })),
    ).toMatchObject({ state: 'waiting', why: 'the deployment controller has not seen the change yet' });
    expect(
      rolloutState(deployment(2, 3, { observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 3 })),
    ).toMatchObject({ state: 'waiting', why: '2 of 3 replicas updated' });
    expect(
      rolloutState(deployment(2, 3, { observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 })),
    ).toMatchObject({ state: 'waiting', why: '1 old replicas pending termination' });
    expect(
      rolloutState(deployment(2, 3, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 })),
    ).toMatchObject({ state: 'waiting', why: '2 of 3 updated replicas available' });
    expect(
      rolloutState(deployment(2, 3, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 })),
    ).toEqual({ state: 'done', counts: { replicas: 3, updatedReplicas: 3, availableReplicas: 3 } });
  });

  it('a generation the patch returned counts even if a read shows an older one', () => {
    const d = deployment(1, 1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(rolloutState(d, 2).state).toBe('waiting');
  });

  it('fails when the deployment reports ProgressDeadlineExceeded', () => {
    const d = deployment(2, 2, {
      observedGeneration: 2,
      updatedReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "web-1" has timed out progressing.',
        },
      ],
    });
    expect(rolloutState(d)).toMatchObject({ state: 'failed', why: expect.stringContaining('progress deadline') });
  });
});

const problems = (yamlStep: Record<string, unknown>) => {
  const parsed = playbookSchema.safeParse({ id: 'p', version: 1, match: { labels: {} }, steps: [yamlStep] });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('playbook schema for k8s and script steps', () => {
  const step = (action: string, params: Record<string, unknown>) => ({ id: 's', kind: 'mitigation', action, params });

  it('accepts each k8s operation with what it needs', () => {
    expect(problems(step('k8s', { operation: 'rollout-restart', namespace: 'shop', name: 'web' }))).toEqual([]);
    expect(problems(step('k8s', { operation: 'scale', namespace: 'shop', name: 'web', replicas: 2 }))).toEqual([]);
    expect(
      problems(step('k8s', { operation: 'scale', namespace: 'shop', name: 'web', replicas: '{{inputs.n}}' })),
    ).toHaveLength(1); // n undeclared
    expect(problems(step('k8s', { operation: 'cordon', name: 'node-1' }))).toEqual([]);
  });

  it('refuses a namespaced operation without a namespace, scale without replicas, replicas elsewhere', () => {
    expect(problems(step('k8s', { operation: 'delete-pod', name: 'web-1' }))).toEqual([
      'steps.0.params.namespace: delete-pod needs a namespace',
    ]);
    expect(problems(step('k8s', { operation: 'scale', namespace: 'shop', name: 'web' }))).toEqual([
      'steps.0.params.replicas: scale needs replicas',
    ]);
    expect(problems(step('k8s', { operation: 'cordon', name: 'n', replicas: 1 }))).toEqual([
      'steps.0.params.replicas: only scale takes replicas',
    ]);
    expect(problems(step('k8s', { operation: 'drain', name: 'n' }))[0]).toMatch(/^steps\.0\.params\.operation/);
  });

  it('refuses a script name that leaves the runbooks folder', () => {
    expect(problems(step('script', { name: 'db/failover.sh', args: ['a b'] }))).toEqual([]);
    for (const name of ['../x', 'db/../../x', '/usr/bin/id'])
      expect(problems(step('script', { name }))).toEqual([
        'steps.0.params.name: a path inside the runbooks folder (no leading /, no ..)',
      ]);
  });

  it('summarises both kinds for the Temporal UI without arguments', () => {
    expect(
      actionSummary('restart', {
        action: 'k8s',
        params: { operation: 'rollout-restart', namespace: 'shop', name: 'web' },
      } as never),
    ).toBe('restart: k8s rollout-restart shop/web');
    expect(
      actionSummary('run', { action: 'script', params: { name: 'db/failover.sh', args: ['secret-ish'] } } as never),
    ).toBe('run: run runbook db/failover.sh');
  });
});
