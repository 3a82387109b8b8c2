import { ensureOpenSearch, type OpenSearchEndpoint } from './opensearch.js';
import { PROFILES, type StackProfile } from './profiles.js';
import { ensureTemporal, type TemporalEndpoint } from './temporal.js';

export { StackError } from './process.js';
export { PROFILES, type StackProfile } from './profiles.js';

export interface RunningStack {
  profile: StackProfile;
  temporal: TemporalEndpoint;
  opensearch: OpenSearchEndpoint;
  /** Stops only what this call started; reused servers are left running. */
  stop(): Promise<void>;
}

/**
 * Provision what is missing and start (or reuse) Temporal and OpenSearch for a profile.
 * Both are started concurrently: OpenSearch's JVM start dominates, Temporal's is a few seconds.
 */
export async function ensureStack(
  profileName: StackProfile['name'],
  log: (msg: string) => void = (msg) => console.log(msg),
): Promise<RunningStack> {
  const profile = PROFILES[profileName];
  const [temporal, opensearch] = await Promise.allSettled([
    ensureTemporal(profile, log),
    ensureOpenSearch(profile, log),
  ]);
  const started = [temporal, opensearch].flatMap((r) =>
    r.status === 'fulfilled' && r.value.process ? [r.value.process] : [],
  );
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
  };
  if (temporal.status === 'rejected' || opensearch.status === 'rejected') {
    await stop();
    throw temporal.status === 'rejected' ? temporal.reason : (opensearch as PromiseRejectedResult).reason;
  }
  return { profile, temporal: temporal.value, opensearch: opensearch.value, stop };
}
