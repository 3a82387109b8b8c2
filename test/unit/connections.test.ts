import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, workerEnvSchema } from '../../src/config/env.js';
import { openSearchClientOptions } from '../../src/clients/opensearch/connection.js';
import { temporalConnectionOptions, temporalConnectionOptionsFromEnv } from '../../src/clients/temporal/connection.js';
import { expiredIndices } from '../../src/domain/audit/retention.js';

/** Files as a map: what each connection would read, without touching the disk. */
const files =
  (contents: Record<string, string>) =>
  (file: string): Buffer => {
    if (!(file in contents)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return Buffer.from(contents[file]!);
  };
const PEM = { '/tls/ca.pem': 'CA', '/tls/client.pem': 'CRT', '/tls/client.key': 'KEY', '/secrets/key': 'cloud-key\n' };
const CLOUD = 'ns.acct.tmprl.cloud:7233';
const address = { TEMPORAL_ADDRESS: CLOUD };

describe('Temporal connection options', () => {
  it('plain connection when nothing is configured', () => {
    expect(temporalConnectionOptions({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }, files({}))).toEqual({
      address: '127.0.0.1:7233',
    });
  });

  it('TLS with the system roots when only TEMPORAL_TLS is set', () => {
    expect(temporalConnectionOptions({ ...address, TEMPORAL_TLS: true }, files({}))).toEqual({
      address: CLOUD,
      tls: {},
    });
  });

  it('mTLS: client certificate pair, CA and server name', () => {
    const options = temporalConnectionOptions(
      {
        ...address,
        TEMPORAL_TLS_CA_FILE: '/tls/ca.pem',
        TEMPORAL_TLS_CERT_FILE: '/tls/client.pem',
        TEMPORAL_TLS_KEY_FILE: '/tls/client.key',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      },
      files(PEM),
    );
    expect(options.tls?.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('CA');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('CRT');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('KEY');
    expect(options.apiKey).toBeUndefined();
  });

  it('API key (Temporal Cloud) implies TLS, from the variable or a file (trailing newline dropped)', () => {
    expect(temporalConnectionOptions({ ...address, TEMPORAL_API_KEY: 'k' }, files({}))).toEqual({
      address: CLOUD,
      tls: {},
      apiKey: 'k',
    });
    expect(temporalConnectionOptions({ ...address, TEMPORAL_API_KEY_FILE: '/secrets/key' }, files(PEM))).toEqual({
      address: CLOUD,
      tls: {},
      apiKey: 'cloud-key',
    });
  });

  it.each([
    [{ TEMPORAL_TLS_CERT_FILE: '/tls/client.pem' }, /TEMPORAL_TLS_KEY_FILE: required with TEMPORAL_TLS_CERT_FILE/],
    [{ TEMPORAL_TLS_KEY_FILE: '/tls/client.key' }, /TEMPORAL_TLS_CERT_FILE: required with TEMPORAL_TLS_KEY_FILE/],
    [{ TEMPORAL_TLS: false, TEMPORAL_API_KEY: 'k' }, /TEMPORAL_TLS: is false, but .* an API key/],
    [
      { TEMPORAL_API_KEY: 'k', TEMPORAL_API_KEY_FILE: '/secrets/key' },
      /either TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE/,
    ],
    [{ TEMPORAL_TLS_CA_FILE: '/tls/missing.pem' }, /TEMPORAL_TLS_CA_FILE: cannot read \/tls\/missing\.pem \(ENOENT\)/],
  ])('refuses %o, naming the variable', (settings, message) => {
    const attempt = () => temporalConnectionOptions({ ...address, ...settings }, files(PEM));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('reports every problem at once', () => {
    const attempt = () =>
      temporalConnectionOptions(
        { ...address, TEMPORAL_TLS_CERT_FILE: '/nope.pem', TEMPORAL_TLS_CA_FILE: '/nope-ca.pem' },
        files({}),
      );
    expect(attempt).toThrow(
      /TEMPORAL_TLS_KEY_FILE: required[\s\S]*cannot read \/nope-ca\.pem[\s\S]*cannot read \/nope\.pem/,
    );
  });

  it('scripts get the same options from the environment, for the address they use', () => {
    expect(temporalConnectionOptionsFromEnv('127.0.0.1:17233', { TEMPORAL_API_KEY: 'k' })).toEqual({
      address: '127.0.0.1:17233',
      tls: {},
      apiKey: 'k',
    });
    expect(() => temporalConnectionOptionsFromEnv('x:1', { TEMPORAL_TLS_KEY_FILE: '/k' })).toThrow(
      /TEMPORAL_TLS_CERT_FILE: required/,
    );
  });

  it('reads TEMPORAL_TLS as a boolean from the environment', () => {
    expect(loadConfig(workerEnvSchema, { TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
    expect(() => loadConfig(workerEnvSchema, { TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
  });
});

describe('OpenSearch client options', () => {
  const url = { OPENSEARCH_URL: 'https://search.internal:9200' };

  it('no auth, no custom CA by default', () => {
    expect(openSearchClientOptions({ OPENSEARCH_URL: 'http://127.0.0.1:9200' }, files({}))).toEqual({
      node: 'http://127.0.0.1:9200',
    });
  });

  it('every node of a cluster, given as a comma-separated list', () => {
    expect(
      openSearchClientOptions({ OPENSEARCH_URL: 'http://127.0.0.1:31200, http://127.0.0.1:31201' }, files({})),
    ).toEqual({ node: ['http://127.0.0.1:31200', 'http://127.0.0.1:31201'] });
    // The same list through the environment's validation; a bad entry is named as such.
    expect(() => loadConfig(workerEnvSchema, { OPENSEARCH_URL: 'http://a:9200,not a url' })).toThrow(
      /OPENSEARCH_URL: a URL, or several separated by commas/,
    );
    expect(loadConfig(workerEnvSchema, { OPENSEARCH_URL: 'http://a:9200,http://b:9200' }).OPENSEARCH_URL).toBe(
      'http://a:9200,http://b:9200',
    );
  });

  it('basic auth from the environment or from a password file, and TLS verified against a CA file', () => {
    expect(
      openSearchClientOptions({ ...url, OPENSEARCH_USERNAME: 'interlock', OPENSEARCH_PASSWORD: 'pw' }, files({})),
    ).toEqual({ node: url.OPENSEARCH_URL, auth: { username: 'interlock', password: 'pw' } });
    const options = openSearchClientOptions(
      {
        ...url,
        OPENSEARCH_USERNAME: 'interlock',
        OPENSEARCH_PASSWORD_FILE: '/secrets/os',
        OPENSEARCH_CA_FILE: '/tls/ca.pem',
      },
      files({ ...PEM, '/secrets/os': 's3cret\n' }),
    );
    expect(options.auth).toEqual({ username: 'interlock', password: 's3cret' });
    expect(options.ssl?.rejectUnauthorized).toBe(true);
    expect(String(options.ssl?.ca)).toBe('CA');
  });

  it.each([
    [{ OPENSEARCH_USERNAME: 'u' }, /OPENSEARCH_PASSWORD: required with OPENSEARCH_USERNAME/],
    [{ OPENSEARCH_PASSWORD: 'p' }, /OPENSEARCH_USERNAME: required with a password/],
    [{ OPENSEARCH_USERNAME: 'u', OPENSEARCH_PASSWORD_FILE: '/secrets/none' }, /cannot read \/secrets\/none \(ENOENT\)/],
    [{ OPENSEARCH_URL: 'http://x:9200', OPENSEARCH_CA_FILE: '/tls/ca.pem' }, /OPENSEARCH_CA_FILE: .* not https/],
    [{ OPENSEARCH_URL: 'https://u:p@x:9200' }, /OPENSEARCH_URL: holds credentials/],
    [
      { OPENSEARCH_URL: 'https://x:9200,http://y:9200', OPENSEARCH_CA_FILE: '/tls/ca.pem' },
      /\(http:\/\/y:9200\) is not https/,
    ],
  ])('refuses %o, naming the variable', (settings, message) => {
    const attempt = () => openSearchClientOptions({ ...url, ...settings }, files(PEM));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('replicas and retention come from the environment; retention is off unless set', () => {
    const defaults = loadConfig(workerEnvSchema, {});
    expect(defaults.AUDIT_INDEX_REPLICAS).toBe(0);
    expect(defaults.AUDIT_RETENTION_MONTHS).toBeUndefined();
    const set = loadConfig(workerEnvSchema, { AUDIT_INDEX_REPLICAS: '2', AUDIT_RETENTION_MONTHS: '24' });
    expect([set.AUDIT_INDEX_REPLICAS, set.AUDIT_RETENTION_MONTHS]).toEqual([2, 24]);
    expect(() => loadConfig(workerEnvSchema, { AUDIT_RETENTION_MONTHS: '0' })).toThrow(/AUDIT_RETENTION_MONTHS/);
  });
});

describe('audit retention rule', () => {
  const names = [
    'audit-events-2024.04',
    'audit-events-2024.05',
    'audit-events-2024.06',
    'audit-events-2025.06',
    'audit-events-bench-2001.01',
    'audit-events-2024.13',
    'audit-eventsx-2001.01',
    '.kibana',
  ];

  it('deletes an index once its whole month is older than the retention, never earlier', () => {
    // 12 months: May 2024 ends 1 June 2024, so it goes on 1 June 2025 at 00:00 UTC.
    expect(expiredIndices(names, 'audit-events', 12, new Date('2025-05-31T23:59:59Z')).map((e) => e.index)).toEqual([
      'audit-events-2024.04',
    ]);
    expect(expiredIndices(names, 'audit-events', 12, new Date('2025-06-01T00:00:00Z'))).toEqual([
      { index: 'audit-events-2024.04', month: '2024-04' },
      { index: 'audit-events-2024.05', month: '2024-05' },
    ]);
  });

  it('touches only monthly indices of exactly the prefix', () => {
    expect(expiredIndices(names, 'audit-events', 1, new Date('2100-01-01Z')).map((e) => e.index)).toEqual([
      'audit-events-2024.04',
      'audit-events-2024.05',
      'audit-events-2024.06',
      'audit-events-2025.06',
    ]);
  });

  it('refuses a retention under one month (the current index holds the retention events themselves)', () => {
    expect(() => expiredIndices(names, 'audit-events', 0, new Date())).toThrow(/at least one month/);
  });
});
