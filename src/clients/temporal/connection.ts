import { settingFileReader } from '../setting-files.js';
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, loadConfig, workerEnvSchema } from '../../config/env.js';

/** The environment variables that say how to reach Temporal (validated in src/config/env.ts). */
export interface TemporalConnectionSettings {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TLS?: boolean;
  TEMPORAL_TLS_CA_FILE?: string;
  TEMPORAL_TLS_CERT_FILE?: string;
  TEMPORAL_TLS_KEY_FILE?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_API_KEY?: string;
  TEMPORAL_API_KEY_FILE?: string;
}

/**
 * What both `Connection.connect` (client) and `NativeConnection.connect` (worker) take: the
 * two accept the same `address`, `tls` and `apiKey`, so every process connects the same way.
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * Build the connection options from configuration. Every problem is reported at once, naming
 * the variables (and the files that cannot be read), so a half-configured mTLS setup fails at
 * start with what to fix instead of as a handshake error later.
 */
export function temporalConnectionOptions(
  settings: TemporalConnectionSettings,
  readFile: (file: string) => Buffer = fs.readFileSync,
): TemporalConnectionOptions {
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  const s = settings;
  if (!s.TEMPORAL_TLS_CERT_FILE !== !s.TEMPORAL_TLS_KEY_FILE)
    problems.push(
      s.TEMPORAL_TLS_CERT_FILE
        ? 'TEMPORAL_TLS_KEY_FILE: required with TEMPORAL_TLS_CERT_FILE (mTLS needs the client certificate and its key)'
        : 'TEMPORAL_TLS_CERT_FILE: required with TEMPORAL_TLS_KEY_FILE (mTLS needs the client certificate and its key)',
    );
  if (s.TEMPORAL_API_KEY && s.TEMPORAL_API_KEY_FILE)
    problems.push('TEMPORAL_API_KEY_FILE: set either TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE, not both');
  const tlsImplied =
    s.TEMPORAL_TLS_CA_FILE ||
    s.TEMPORAL_TLS_CERT_FILE ||
    s.TEMPORAL_TLS_KEY_FILE ||
    s.TEMPORAL_TLS_SERVER_NAME ||
    s.TEMPORAL_API_KEY ||
    s.TEMPORAL_API_KEY_FILE;
  // An API key or a certificate sent in clear text would be a credential leak: refuse it.
  if (s.TEMPORAL_TLS === false && tlsImplied)
    problems.push(
      'TEMPORAL_TLS: is false, but TLS settings or an API key are set (credentials are only sent over TLS)',
    );

  const ca = read('TEMPORAL_TLS_CA_FILE', s.TEMPORAL_TLS_CA_FILE);
  const crt = read('TEMPORAL_TLS_CERT_FILE', s.TEMPORAL_TLS_CERT_FILE);
  const key = read('TEMPORAL_TLS_KEY_FILE', s.TEMPORAL_TLS_KEY_FILE);
  const apiKeyFile = read('TEMPORAL_API_KEY_FILE', s.TEMPORAL_API_KEY_FILE)?.toString('utf8').trim();
  if (s.TEMPORAL_API_KEY_FILE && apiKeyFile === '')
    problems.push(`TEMPORAL_API_KEY_FILE: ${s.TEMPORAL_API_KEY_FILE} is empty`);
  if (problems.length) throw new ConfigError(`Invalid Temporal connection configuration:\n  ${problems.join('\n  ')}`);

  const apiKey = s.TEMPORAL_API_KEY ?? apiKeyFile;
  const useTls = s.TEMPORAL_TLS ?? Boolean(tlsImplied);
  return {
    address: s.TEMPORAL_ADDRESS,
    ...(useTls
      ? {
          tls: {
            ...(s.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: s.TEMPORAL_TLS_SERVER_NAME } : {}),
            ...(ca ? { serverRootCACertificate: ca } : {}),
            ...(crt && key ? { clientCertPair: { crt, key } } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/**
 * For scripts (stack, start, benchmarks): the same options from the process environment, for a
 * given address (the server a script started, or TEMPORAL_ADDRESS).
 */
export function temporalConnectionOptionsFromEnv(address: string, env: NodeJS.ProcessEnv = process.env) {
  const settings = loadConfig(
    workerEnvSchema.pick({
      TEMPORAL_TLS: true,
      TEMPORAL_TLS_CA_FILE: true,
      TEMPORAL_TLS_CERT_FILE: true,
      TEMPORAL_TLS_KEY_FILE: true,
      TEMPORAL_TLS_SERVER_NAME: true,
      TEMPORAL_API_KEY: true,
      TEMPORAL_API_KEY_FILE: true,
    }),
    env,
  );
  return temporalConnectionOptions({ ...settings, TEMPORAL_ADDRESS: address });
}
