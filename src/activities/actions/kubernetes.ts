import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
// The object-parameter API runs observable middleware; this is the library's own (tiny) Observable.
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import type { ActionResultOf, KubernetesParams } from '../../domain/playbook/actions.js';
import { rolloutState, type DeploymentLike, type RolloutCounts } from '../../domain/kubernetes/rollout.js';
import { keepHeartbeating } from './heartbeat.js';
import type { ActionSettings } from './settings.js';

type KubernetesResult = ActionResultOf<'k8s'>;
type Outcome = Omit<KubernetesResult, 'durationMs' | 'operation' | 'target'>;

/** Who the API server records as the owner of the fields Interlock sets (managedFields). */
export const FIELD_MANAGER = 'interlock';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/**
 * Perform one Kubernetes operation for a playbook step, as kubectl would (same patch types and
 * fields, so `kubectl rollout history` and the field managers read the same). Stopping is prompt:
 * we heartbeat throughout (cancellation reaches an activity only through a heartbeat response),
 * every request carries `stop`, and a rollout wait sleeps on it, so an opt-out mid-wait ends the
 * wait at once (what was already patched stays patched: the API server has no undo).
 */
export async function performKubernetes(
  params: KubernetesParams,
  stop: AbortSignal = Context.current().cancellationSignal,
  settings: ActionSettings = {},
): Promise<KubernetesResult> {
  if (stop.aborted) throw stop.reason;
  const target = params.namespace ? `${params.namespace}/${params.name}` : params.name;
  const what = `k8s ${params.operation} ${target}`;
  const config = loadConfig(settings, what);
  const deadline = AbortSignal.timeout(params.timeout);
  const signal = AbortSignal.any([stop, deadline]);
  const started = Date.now();
  const progress: { waiting?: string } = {};
  const stopHeartbeating = keepHeartbeating(Context.current());
  try {
    const api = {
      apps: config.makeApiClient(AppsV1Api),
      core: config.makeApiClient(CoreV1Api),
      signal,
      pollMs: settings.rolloutPollMs ?? 1000,
      progress,
    };
    const outcome = await operate(params, api);
    return { operation: params.operation, target, ...outcome, durationMs: Date.now() - started };
  } catch (err) {
    if (stop.aborted) throw stop.reason ?? err;
    if (deadline.aborted)
      throw ApplicationFailure.create({
        type: 'ActionTimedOut',
        message: `${what} timed out after ${params.timeout} ms${progress.waiting ? ` waiting for the rollout (${progress.waiting})` : ''}`,
      });
    throw failure(what, err);
  } finally {
    stopHeartbeating();
  }
}

interface Api {
  apps: AppsV1Api;
  core: CoreV1Api;
  signal: AbortSignal;
  pollMs: number;
  progress: { waiting?: string };
}

async function operate(p: KubernetesParams, api: Api): Promise<Outcome> {
  const { name } = p;
  const namespace = p.namespace ?? '';
  switch (p.operation) {
    case 'rollout-restart': {
      // kubectl rollout restart's own patch: a new template annotation makes a new ReplicaSet.
      const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339Now() } } } } };
      const patched = await api.apps.patchNamespacedDeployment(
        { name, namespace, body, fieldManager: FIELD_MANAGER },
        options(api.signal, PatchStrategy.StrategicMergePatch),
      );
      return p.wait ? { rollout: await waitForRollout(api, namespace, name, patched.metadata?.generation) } : {};
    }
    case 'scale': {
      const replicas = wholeNumber(p.replicas);
      const current = await api.apps.readNamespacedDeploymentScale({ name, namespace }, options(api.signal));
      const previousReplicas = current.spec?.replicas ?? 0;
      // The resourceVersion makes the change conditional: if someone scaled in between, the API
      // answers 409 and we do not record a "previous" count that was never the one we replaced.
      const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { replicas } };
      await api.apps.patchNamespacedDeploymentScale(
        { name, namespace, body, fieldManager: FIELD_MANAGER },
        options(api.signal, PatchStrategy.MergePatch),
      );
      const rollout = p.wait ? await waitForRollout(api, namespace, name) : undefined;
      return { previousReplicas, replicas, ...(rollout ? { rollout } : {}) };
    }
    case 'wait-rollout':
      return { rollout: await waitForRollout(api, namespace, name) };
    case 'cordon':
    case 'uncordon':
      await api.core.patchNode(
        { name, body: { spec: { unschedulable: p.operation === 'cordon' } }, fieldManager: FIELD_MANAGER },
        options(api.signal, PatchStrategy.StrategicMergePatch),
      );
      return {};
    case 'delete-pod':
      await api.core.deleteNamespacedPod(
        { name, namespace, gracePeriodSeconds: p.gracePeriodSeconds },
        options(api.signal),
      );
      return {};
  }
}

async function waitForRollout(api: Api, namespace: string, name: string, generation?: number): Promise<RolloutCounts> {
  for (;;) {
    const deployment = await api.apps.readNamespacedDeployment({ name, namespace }, options(api.signal));
    const state = rolloutState(deployment as DeploymentLike, generation);
    if (state.state === 'done') return state.counts;
    if (state.state === 'failed')
      throw ApplicationFailure.create({ type: 'ActionFailed', message: state.why, nonRetryable: true });
    api.progress.waiting = state.why;
    await sleep(api.pollMs, undefined, { signal: api.signal });
  }
}

/** Every request carries the stop signal; patches say their patch type, as the API requires. */
function options(signal: AbortSignal, contentType?: string) {
  const middleware: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(signal);
      if (contentType) request.setHeaderParam('Content-Type', contentType);
      return of(request);
    },
    post: (response) => of(response),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } satisfies ConfigurationOptions;
}

function loadConfig(settings: ActionSettings, what: string): KubeConfig {
  const fail = (message: string) =>
    ApplicationFailure.create({ type: 'ActionFailed', message: `${what}: ${message}`, nonRetryable: true });
  if (!settings.kubernetes)
    throw fail(
      'no Kubernetes access configured (set KUBECONFIG, or run the worker in a cluster with a service account)',
    );
  try {
    return settings.kubernetes();
  } catch (err) {
    throw fail((err as Error).message);
  }
}

function wholeNumber(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw ApplicationFailure.create({
      type: 'ActionFailed',
      message: `replicas must be a whole number of at least 0, not ${JSON.stringify(value)}`,
      nonRetryable: true,
    });
  return n;
}

/** kubectl writes RFC 3339 to the second. */
const rfc3339Now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The API's own Status message ("deployments.apps \"web\" not found"), never the library's error
 * text, which quotes response headers. 4xx will not change by retrying; 5xx and network may.
 */
function failure(what: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const code = err.code as number;
    return ApplicationFailure.create({
      type: 'ActionFailed',
      message: `${what}: the API server answered ${code}${status.reason ? ` ${status.reason}` : ''}${status.message ? `: ${status.message}` : ''}`,
      nonRetryable: code >= 400 && code < 500 && code !== 429,
    });
  }
  // Network and client errors (refused connection, a certificate the CA does not sign): their
  // text names the address and the problem, not the credentials, which travel in headers.
  const text = err instanceof Error ? err.message.slice(0, 300) : String(err);
  return ApplicationFailure.create({
    type: 'ActionFailed',
    message: `${what}: the API server could not be reached: ${text}`,
  });
}

function parseStatus(body: unknown): { reason?: string; message?: string } {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    return status && typeof status === 'object' ? (status as { reason?: string; message?: string }) : {};
  } catch {
    return {};
  }
}
