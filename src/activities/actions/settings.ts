import type { KubeConfig } from '@kubernetes/client-node';

/**
 * What performers need from the worker's configuration, injected through createActivities (so tests
 * point them at their own servers and folders). Each is optional: a step whose kind needs a missing
 * one fails with a message saying which setting to make.
 */
export interface ActionSettings {
  /** The cluster `k8s` steps act on (KUBECONFIG, or the pod's service account in a cluster). */
  kubernetes?: () => KubeConfig;
  /** How often a waiting rollout is read again (default 1 s; tests shorten it). */
  rolloutPollMs?: number;
  /** The folder `script` steps run files from (RUNBOOKS_DIR). */
  runbooksDir?: string;
}
