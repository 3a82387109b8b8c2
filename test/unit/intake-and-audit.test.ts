import { describe, expect, it } from 'vitest';
import { hashToken, PrincipalDirectory, actorFor } from '../../src/api/auth/principals.js';
import { indexFor } from '../../src/clients/opensearch/audit-store.js';
import { ConfigError, gatewayEnvSchema, loadConfig, workerEnvSchema } from '../../src/config/env.js';
import { redactSecrets } from '../../src/domain/audit/event.js';
import { alertmanagerWebhookSchema, normalizeAlertmanager } from '../../src/domain/incident/alertmanager.js';
import { INCIDENT_ID_PATTERN, incidentIdFor } from '../../src/domain/incident/incident-id.js';
import example from '../../examples/alertmanager-webhook.json' with { type: 'json' };

describe('Alertmanager normalization', () => {
  it('turns the documented v4 payload into one delivery with the group labels and every alert', () => {
    const payload = alertmanagerWebhookSchema.parse(example);
    const delivery = normalizeAlertmanager(payload, 'am-x', new Date('2026-11-22T10:00:01Z'));
    expect(delivery).toMatchObject({
      source: 'alertmanager',
      status: 'firing',
      title: 'Replication lag above 30s on payments-db',
      labels: { alertname: 'PostgresReplicationLag', service: 'payments-db' },
      receivedAt: '2026-11-22T10:00:01.000Z',
    });
    expect(delivery.alerts).toEqual([
      expect.objectContaining({
        fingerprint: '5f0c6e1f2a3b4c5d',
        labels: expect.objectContaining({ instance: 'db-replica-1:5432' }),
      }),
    ]);
  });

  it('derives a stable, URL-safe incident id from the group key', () => {
    const a = incidentIdFor('alertmanager', '{}/{alertname="X"}:{a="b"}');
    expect(a).toBe(incidentIdFor('alertmanager', '{}/{alertname="X"}:{a="b"}'));
    expect(a).not.toBe(incidentIdFor('alertmanager', '{}/{alertname="Y"}:{a="b"}'));
    expect(a).toMatch(INCIDENT_ID_PATTERN);
  });
});

describe('audit helpers', () => {
  it('redacts secret-looking keys at any depth and keeps everything else', () => {
    expect(
      redactSecrets({
        url: 'http://x',
        headers: { Authorization: 'Bearer t', 'X-Api-Key': 'k' },
        body: { password: 'p', replicas: 3, nested: [{ client_secret: 's' }] },
      }),
    ).toEqual({
      url: 'http://x',
      headers: { Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]' },
      body: { password: '[REDACTED]', replicas: 3, nested: [{ client_secret: '[REDACTED]' }] },
    });
  });

  it('puts events in the monthly index of their own time (UTC)', () => {
    expect(indexFor('audit-events', '2026-11-30T23:59:59Z')).toBe('audit-events-2026.11');
    expect(indexFor('audit-events', '2026-12-01T00:00:00Z')).toBe('audit-events-2026.12');
  });
});

describe('configuration', () => {
  it('fills defaults from an empty environment', () => {
    expect(loadConfig(workerEnvSchema, {})).toMatchObject({
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_TASK_QUEUE: 'interlock',
      PLAYBOOKS_DIR: 'playbooks',
    });
  });
  it('refuses bad values, naming each variable', () => {
    const attempt = () =>
      loadConfig(gatewayEnvSchema, { PORT: 'eighty', OPENSEARCH_URL: 'not a url', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/OPENSEARCH_URL/);
    expect(attempt).toThrow(/LOG_LEVEL/);
  });
});

describe('static API tokens', () => {
  const yaml = JSON.stringify({
    principals: [{ id: 'bob', name: 'Bob', roles: ['approver'], groups: ['tier1'], tokenSha256: hashToken('s3cret') }],
  });
  it('authenticates by token and never by anything in a request body', () => {
    const dir = PrincipalDirectory.fromYaml(yaml);
    expect(dir.authenticate('s3cret')).toEqual({
      id: 'bob',
      name: 'Bob',
      roles: ['approver'],
      groups: ['tier1'],
      teams: [],
    });
    expect(dir.authenticate('s3cret ')).toBeUndefined();
    expect(dir.authenticate('')).toBeUndefined();
  });
  it('refuses a principals file with a plain-text token instead of a digest', () => {
    expect(() =>
      PrincipalDirectory.fromYaml(
        JSON.stringify({ principals: [{ id: 'a', name: 'A', roles: ['responder'], tokenSha256: 'hunter2' }] }),
      ),
    ).toThrow(/tokenSha256/);
  });
  it('records a declared client channel, but never lets a caller claim to be the system or the Temporal UI', () => {
    const p = { id: 'bob', name: 'Bob', roles: ['approver' as const], groups: [] };
    expect(actorFor(p, 'slack').channel).toBe('slack');
    expect(actorFor(p, 'system').channel).toBe('api');
    expect(actorFor(p, 'temporal-ui').channel).toBe('api');
    expect(actorFor(p, undefined).channel).toBe('api');
  });
});
