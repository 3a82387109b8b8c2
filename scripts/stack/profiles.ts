import os from 'node:os';
import path from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/contracts/search-attributes.js';

const CLI_TYPE: Record<string, 'Keyword' | 'Bool' | 'Text' | 'Datetime'> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/**
 * What the cluster profiles add to a profile: the production topology on one machine.
 * PostgreSQL, the real Temporal server on it, OpenSearch nodes beyond the first, and (for
 * `up --profile cluster`) several workers and gateways as separate processes.
 */
export interface ClusterTopology {
  postgresPort: number;
  /**
   * The Temporal server's other ports: history, matching and worker gRPC at +1, +2, +3 of this
   * base, their ringpop membership ports at +10..+13, and the frontend's HTTP API at +20.
   * The frontend's gRPC port is the profile's `temporalPort`.
   */
  temporalInternalPortBase: number;
  /** Every OpenSearch node after the first (the first is the profile's opensearch ports). */
  extraOpenSearchNodes: Array<{ httpPort: number; transportPort: number }>;
  /** Replicas of each audit index: 1 on two nodes, so either node holds every event. */
  auditIndexReplicas: number;
  /** One gateway process per port (`up` only; the tests start their own on free ports). */
  gatewayPorts: number[];
  /** Worker processes (`up` only), each with its own /metrics port from this base. */
  workers: number;
  workerHttpPortBase: number;
}

/**
 * Independent sets of ports: `npm start` (dev), `npm test` / `npm run bench` (test), and the
 * production topology (cluster, cluster-test), so any of them can run beside the others.
 */
export interface StackProfile {
  name: 'dev' | 'test' | 'cluster' | 'cluster-test';
  temporalPort: number;
  /** The dev server's embedded Web UI (the cluster profiles run the server without a UI). */
  temporalUiPort: number;
  /** Persist workflow history across restarts for dev; tests start from a clean slate each run. */
  persistTemporal: boolean;
  opensearchHttpPort: number;
  opensearchTransportPort: number;
  gatewayPort: number;
  cluster?: ClusterTopology;
}

export const PROFILES: Record<StackProfile['name'], StackProfile> = {
  dev: {
    name: 'dev',
    temporalPort: 7233,
    temporalUiPort: 8233,
    persistTemporal: true,
    opensearchHttpPort: 9200,
    opensearchTransportPort: 9300,
    gatewayPort: 8080,
  },
  test: {
    name: 'test',
    temporalPort: 17233,
    temporalUiPort: 18233,
    persistTemporal: false,
    opensearchHttpPort: 19200,
    opensearchTransportPort: 19300,
    gatewayPort: 18080,
  },
  cluster: {
    name: 'cluster',
    temporalPort: 27233,
    temporalUiPort: 28233,
    persistTemporal: true,
    opensearchHttpPort: 29200,
    opensearchTransportPort: 29300,
    gatewayPort: 28080,
    cluster: {
      postgresPort: 25432,
      temporalInternalPortBase: 27240,
      extraOpenSearchNodes: [{ httpPort: 29201, transportPort: 29301 }],
      auditIndexReplicas: 1,
      gatewayPorts: [28080, 28081],
      workers: 2,
      workerHttpPortBase: 29464,
    },
  },
  // Every port below 32768: Temporal stores membership ports as a SQL smallint, and Linux hands
  // out ephemeral client ports from 32768 up, which a listener there could collide with.
  'cluster-test': {
    name: 'cluster-test',
    temporalPort: 31233,
    temporalUiPort: 31238,
    persistTemporal: false,
    opensearchHttpPort: 31200,
    opensearchTransportPort: 31300,
    gatewayPort: 31080,
    cluster: {
      postgresPort: 31432,
      temporalInternalPortBase: 31240,
      extraOpenSearchNodes: [{ httpPort: 31201, transportPort: 31301 }],
      auditIndexReplicas: 1,
      gatewayPorts: [31080, 31081],
      workers: 2,
      workerHttpPortBase: 31464,
    },
  },
};

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const OPENSEARCH_VERSION = '2.19.4';
/** The Temporal server the cluster profiles build (`go install go.temporal.io/server/cmd/server@…`). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The PostgreSQL major version the cluster profiles run (Debian's package: /usr/lib/postgresql/<it>/bin). */
export const POSTGRES_MAJOR_VERSION = '15';
/** OpenSearch refuses to run as root; when we are root we run it as this system user. */
export const OPENSEARCH_SYSTEM_USER = 'interlock-opensearch';
/** PostgreSQL refuses root too (initdb and postgres); as root they run as this system user. */
export const POSTGRES_SYSTEM_USER = 'interlock-postgres';

/**
 * Provisioned binaries and data live outside the clone so a fresh clone (CI) reuses them.
 * Root's home is usually mode 700, which the OpenSearch system user could not traverse,
 * so root gets a cache under /var/cache instead.
 */
export function cacheDir(): string {
  if (process.env.INTERLOCK_CACHE_DIR) return path.resolve(process.env.INTERLOCK_CACHE_DIR);
  if (process.getuid?.() === 0) return '/var/cache/interlock';
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'interlock');
}

/**
 * The custom search attributes to register, in the Temporal CLI's words, derived from the one
 * list the workflow upserts (src/contracts/search-attributes.ts).
 */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Bool' | 'Text' | 'Datetime'> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((key) => {
    const type = CLI_TYPE[key.type];
    if (!type) throw new Error(`search attribute ${key.name}: type ${key.type} has no CLI name here`);
    return [key.name, type];
  }),
);

/** The profile names `--profile` accepts, for messages. */
export const PROFILE_NAMES = Object.keys(PROFILES).join(', ');
