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
 * Two independent sets of ports: `npm start` (dev) and `npm test` / `npm run bench` (test),
 * so a developer can keep the dev stack running while the suite runs beside it.
 */
export interface StackProfile {
  name: 'dev' | 'test';
  temporalPort: number;
  temporalUiPort: number;
  /** Persist workflow history across restarts for dev; tests start from a clean slate each run. */
  persistTemporal: boolean;
  opensearchHttpPort: number;
  opensearchTransportPort: number;
  gatewayPort: number;
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
};

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const OPENSEARCH_VERSION = '2.19.4';
/** OpenSearch refuses to run as root; when we are root we run it as this system user. */
export const OPENSEARCH_SYSTEM_USER = 'interlock-opensearch';

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
