import { settingFileReader } from '../setting-files.js';
import fs from 'node:fs';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { ConfigError, loadConfig, workerEnvSchema } from '../../config/env.js';

/** The environment variables that say how to reach OpenSearch (validated in src/config/env.ts). */
export interface OpenSearchConnectionSettings {
  OPENSEARCH_URL: string;
  OPENSEARCH_USERNAME?: string;
  OPENSEARCH_PASSWORD?: string;
  OPENSEARCH_PASSWORD_FILE?: string;
  OPENSEARCH_CA_FILE?: string;
}

/**
 * Client options from configuration: basic auth (the password from the environment or, to keep
 * it out of process listings and unit files, from a file), and TLS verified against a CA file
 * (a cluster with its own CA; certificates are always verified, never `rejectUnauthorized:
 * false`). Every problem is reported at once, naming the variable and the unreadable file.
 */
export function openSearchClientOptions(
  settings: OpenSearchConnectionSettings,
  readFile: (file: string) => Buffer = fs.readFileSync,
): ClientOptions {
  const s = settings;
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  const hasPassword = Boolean(s.OPENSEARCH_PASSWORD || s.OPENSEARCH_PASSWORD_FILE);
  if (s.OPENSEARCH_PASSWORD && s.OPENSEARCH_PASSWORD_FILE)
    problems.push('OPENSEARCH_PASSWORD_FILE: set either OPENSEARCH_PASSWORD or OPENSEARCH_PASSWORD_FILE, not both');
  if (s.OPENSEARCH_USERNAME && !hasPassword)
    problems.push('OPENSEARCH_PASSWORD: required with OPENSEARCH_USERNAME (or OPENSEARCH_PASSWORD_FILE)');
  if (!s.OPENSEARCH_USERNAME && hasPassword) problems.push('OPENSEARCH_USERNAME: required with a password');
  // Several nodes: the client spreads requests over them and, when one stops answering, retries
  // on another (a data node lost with its replicas elsewhere costs no audit write).
  const nodes = s.OPENSEARCH_URL.split(',').map((u) => u.trim());
  for (const url of nodes.map((u) => new URL(u))) {
    if (s.OPENSEARCH_CA_FILE && url.protocol !== 'https:')
      problems.push(`OPENSEARCH_CA_FILE: set, but OPENSEARCH_URL (${url.origin}) is not https`);
    if (url.username || url.password)
      problems.push('OPENSEARCH_URL: holds credentials; use OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD(_FILE)');
  }

  // A password file usually ends with a newline the password does not contain.
  const filePassword = read('OPENSEARCH_PASSWORD_FILE', s.OPENSEARCH_PASSWORD_FILE)
    ?.toString('utf8')
    .replace(/\r?\n$/, '');
  if (s.OPENSEARCH_PASSWORD_FILE && filePassword === '')
    problems.push(`OPENSEARCH_PASSWORD_FILE: ${s.OPENSEARCH_PASSWORD_FILE} is empty`);
  const ca = read('OPENSEARCH_CA_FILE', s.OPENSEARCH_CA_FILE);
  if (problems.length)
    throw new ConfigError(`Invalid OpenSearch connection configuration:\n  ${problems.join('\n  ')}`);

  const password = s.OPENSEARCH_PASSWORD ?? filePassword;
  return {
    node: nodes.length === 1 ? nodes[0] : nodes,
    ...(s.OPENSEARCH_USERNAME && password ? { auth: { username: s.OPENSEARCH_USERNAME, password } } : {}),
    ...(ca ? { ssl: { ca, rejectUnauthorized: true } } : {}),
  };
}

export function createOpenSearchClient(settings: OpenSearchConnectionSettings, extra: Partial<ClientOptions> = {}) {
  return new Client({ ...openSearchClientOptions(settings), ...extra });
}

/** For scripts (benchmarks): the client for `url` with the credentials and CA of the environment. */
export function createOpenSearchClientFromEnv(
  url: string,
  extra: Partial<ClientOptions> = {},
  env: NodeJS.ProcessEnv = process.env,
) {
  const settings = loadConfig(
    workerEnvSchema.pick({
      OPENSEARCH_USERNAME: true,
      OPENSEARCH_PASSWORD: true,
      OPENSEARCH_PASSWORD_FILE: true,
      OPENSEARCH_CA_FILE: true,
    }),
    env,
  );
  return createOpenSearchClient({ ...settings, OPENSEARCH_URL: url }, extra);
}
