/**
 * Whether a Deployment's rollout is finished, judged as `kubectl rollout status` judges it: the
 * controller has seen the latest spec (observedGeneration), every replica runs the new template
 * (updatedReplicas), no old replica is left (replicas), and the new ones are available.
 */
export interface DeploymentLike {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }>;
  };
}

export interface RolloutCounts {
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

export type RolloutState =
  | { state: 'done'; counts: RolloutCounts }
  | { state: 'waiting'; counts: RolloutCounts; why: string }
  | { state: 'failed'; counts: RolloutCounts; why: string };

export function rolloutState(d: DeploymentLike, sinceGeneration = 0): RolloutState {
  const wanted = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const counts = {
    replicas: s.replicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
  };
  const generation = Math.max(d.metadata?.generation ?? 0, sinceGeneration);
  if ((s.observedGeneration ?? 0) < generation)
    return { state: 'waiting', counts, why: 'the deployment controller has not seen the change yet' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      state: 'failed',
      counts,
      why: `the rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim(),
    };
  if (counts.updatedReplicas < wanted)
    return { state: 'waiting', counts, why: `${counts.updatedReplicas} of ${wanted} replicas updated` };
  if (counts.replicas > counts.updatedReplicas)
    return {
      state: 'waiting',
      counts,
      why: `${counts.replicas - counts.updatedReplicas} old replicas pending termination`,
    };
  if (counts.availableReplicas < counts.updatedReplicas)
    return {
      state: 'waiting',
      counts,
      why: `${counts.availableReplicas} of ${counts.updatedReplicas} updated replicas available`,
    };
  return { state: 'done', counts };
}
