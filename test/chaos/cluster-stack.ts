import { PROFILES, type StackProfile } from '../../scripts/stack/profiles.js';

/**
 * The cluster fault tests kill and restart servers, so they never touch the suite's shared stack:
 * they start parts of a cluster of their own on these ports (every one below 32768, none shared
 * with another profile). Its PostgreSQL starts empty each time, like cluster-test's.
 */
export const CHAOS_CLUSTER = {
  ...PROFILES['cluster-test'],
  name: 'cluster-chaos',
  temporalPort: 30233,
  temporalUiPort: 30238,
  opensearchHttpPort: 30200,
  opensearchTransportPort: 30300,
  gatewayPort: 30080,
  cluster: {
    ...PROFILES['cluster-test'].cluster!,
    postgresPort: 30432,
    temporalInternalPortBase: 30240,
    extraOpenSearchNodes: [{ httpPort: 30201, transportPort: 30301 }],
    gatewayPorts: [],
    workerHttpPortBase: 30464,
  },
} as unknown as StackProfile;

export const quiet = () => undefined;
