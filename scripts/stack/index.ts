import { ensureOpenSearch, ensureOpenSearchCluster, type OpenSearchEndpoint } from './opensearch.js';
import type { PostgresEndpoint } from './postgres.js';
import type { ManagedProcess } from './process.js';
import { PROFILES, type StackProfile } from './profiles.js';
import { ensureTemporal, type TemporalEndpoint } from './temporal.js';
import { ensureTemporalCluster, type TemporalCluster } from './temporal-cluster.js';

export { StackError } from './process.js';
export { PROFILES, type StackProfile } from './profiles.js';

export interface RunningStack {
  profile: StackProfile;
  temporal: TemporalEndpoint;
  opensearch: OpenSearchEndpoint;
  /** The cluster profiles' extra parts (PostgreSQL, every OpenSearch node, the server's restart). */
  cluster?: {
    postgres: PostgresEndpoint;
    opensearchNodes: OpenSearchEndpoint[];
    restartTemporal?: TemporalCluster['restartServer'];
  };
  /** Stops only what this call started; reused servers are left running. */
  stop(): Promise<void>;
}

/**
 * Provision what is missing and start (or reuse) Temporal and OpenSearch for a profile.
 * Both are started concurrently: OpenSearch's JVM start dominates, Temporal's is a few seconds
 * (the cluster profiles' first run builds the Temporal server meanwhile).
 */
export async function ensureStack(
  profileName: StackProfile['name'],
  log: (msg: string) => void = (msg) => console.log(msg),
): Promise<RunningStack> {
  const profile = PROFILES[profileName];
  const clustered = profile.cluster && !process.env.OPENSEARCH_URL;
  const [temporal, opensearch] = await Promise.allSettled([
    profile.cluster && !process.env.TEMPORAL_ADDRESS
      ? ensureTemporalCluster(profile, log)
      : ensureTemporal(profile, log),
    clustered
      ? ensureOpenSearchCluster(profile, log)
      : ensureOpenSearch(profile, log).then((e) => ({ ...e, nodes: [e] })),
  ]);
  // Read at stop time: a restarted Temporal server is a new process.
  const temporalProcesses = (): ManagedProcess[] => {
    if (temporal.status !== 'fulfilled') return [];
    const t = temporal.value as Partial<TemporalCluster>;
    return [t.process, t.postgres?.process].flatMap((p) => (p ? [p] : []));
  };
  const opensearchProcesses =
    opensearch.status === 'fulfilled' ? opensearch.value.nodes.flatMap((n) => (n.process ? [n.process] : [])) : [];
  const stop = async () => {
    // The Temporal server before its database (both in temporalProcesses' order).
    await Promise.all([
      (async () => {
        for (const p of temporalProcesses()) await p.stop();
      })(),
      ...opensearchProcesses.map((p) => p.stop()),
    ]);
  };
  if (temporal.status === 'rejected' || opensearch.status === 'rejected') {
    await stop();
    throw temporal.status === 'rejected' ? temporal.reason : (opensearch as PromiseRejectedResult).reason;
  }
  const t = temporal.value as TemporalEndpoint & Partial<TemporalCluster>;
  const { nodes, ...first } = opensearch.value;
  return {
    profile,
    temporal: t,
    opensearch: { url: first.url, process: nodes[0]?.process },
    ...(t.postgres
      ? { cluster: { postgres: t.postgres, opensearchNodes: nodes, restartTemporal: t.restartServer?.bind(t) } }
      : {}),
    stop,
  };
}
