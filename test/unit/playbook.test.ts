import { describe, expect, it } from 'vitest';
import { parsePlaybook, PlaybookCatalog, PlaybookError } from '../../src/clients/config/catalog.js';
import { selectPlaybook, type Playbook } from '../../src/domain/playbook/playbook.js';

const valid = `
id: restart
version: 2
match: { labels: { alertname: Lag } }
steps:
  - id: look
    kind: diagnostic
    action: http.request
    params: { url: "http://127.0.0.1:1/x", timeout: 2s }
  - id: act
    kind: mitigation
    action: http.request
    params: { method: POST, url: "http://127.0.0.1:1/y" }
    policy: { mode: approval, tier: tier1, approvers: 2, timeout: 15m }
`;

describe('playbook files', () => {
  it('parses a valid playbook, with durations in milliseconds and defaults filled in', () => {
    const p = parsePlaybook(valid, 'restart.yaml');
    expect(p.steps[0]!.params).toMatchObject({ method: 'GET', timeout: 2000, headers: {} });
    expect(p.steps[1]!.params.timeout).toBe(30_000);
    expect(p.steps[1]!.policy).toEqual({
      mode: 'approval',
      tier: 'tier1',
      approvers: 2,
      timeout: 900_000,
      escalation: [],
      validFor: 600_000,
      onTimeout: 'reject',
    });
  });

  it.each([
    [
      'a missing url',
      valid.replace('params: { method: POST, url: "http://127.0.0.1:1/y" }', 'params: { method: POST }'),
      /steps\.1\.params\.url/,
    ],
    ['a bad duration', valid.replace('timeout: 2s', 'timeout: soon'), /duration like/],
    [
      'an unknown action',
      valid.replace('action: http.request\n    params: { method', 'action: rm.rf\n    params: { method'),
      /steps\.1\.action/,
    ],
    ['duplicate step ids', valid.replace('id: act', 'id: look'), /duplicate step id "look"/],
    [
      'a policy on a diagnostic',
      valid.replace(
        'params: { url: "http://127.0.0.1:1/x", timeout: 2s }',
        'params: { url: "http://127.0.0.1:1/x" }\n    policy: { mode: auto }',
      ),
      /only mitigation steps take a policy/,
    ],
    [
      'an undeclared input in params',
      valid.replace('url: "http://127.0.0.1:1/y"', 'url: "http://127.0.0.1:1/{{inputs.nope}}"'),
      /inputs\.nope/,
    ],
    [
      'an input default out of its own bounds',
      valid.replace(
        'params: { method: POST',
        'inputs: { n: { type: integer, default: 50, max: 10 } }\n    params: { method: POST',
      ),
      /at most 10/,
    ],
    ['an unknown field', valid.replace('version: 2', 'version: 2\nmaintainer: me'), /maintainer/],
    ['YAML that does not parse', 'id: [unclosed', /not valid YAML/],
  ])('refuses %s, naming the file and the field', (_what, source, message) => {
    expect(() => parsePlaybook(source, 'restart.yaml')).toThrow(PlaybookError);
    expect(() => parsePlaybook(source, 'restart.yaml')).toThrow(message);
    expect(() => parsePlaybook(source, 'restart.yaml')).toThrow(/^restart\.yaml: /);
  });

  it('loads the playbooks shipped in the repository', () => {
    const catalog = PlaybookCatalog.fromDirectory(new URL('../../playbooks', import.meta.url).pathname);
    expect(catalog.all.map((p) => p.id)).toContain('postgres-replication-lag');
    expect(catalog.select({ alertname: 'PostgresReplicationLag', service: 'x' })?.id).toBe('postgres-replication-lag');
  });
});

describe('playbook selection', () => {
  const pb = (id: string, labels: Record<string, string>) => ({ id, match: { labels } }) as unknown as Playbook;
  const catalog = [
    pb('catch-all', {}),
    pb('lag', { alertname: 'Lag' }),
    pb('lag-payments', { alertname: 'Lag', service: 'payments' }),
  ];

  it('prefers the playbook that matches the most labels', () => {
    expect(selectPlaybook(catalog, { alertname: 'Lag', service: 'payments' })?.id).toBe('lag-payments');
    expect(selectPlaybook(catalog, { alertname: 'Lag', service: 'search' })?.id).toBe('lag');
    expect(selectPlaybook(catalog, { alertname: 'DiskFull' })?.id).toBe('catch-all');
  });

  it('matches nothing when every playbook names a label the alert lacks', () => {
    expect(selectPlaybook(catalog.slice(1), { alertname: 'DiskFull' })).toBeUndefined();
  });
});

describe('the action table', () => {
  it('has a performer for every kind, and a step of every kind parses', async () => {
    const { ACTION_NAMES } = await import('../../src/domain/playbook/actions.js');
    const { PERFORMERS } = await import('../../src/activities/actions/registry.js');
    expect(Object.keys(PERFORMERS).sort()).toEqual([...ACTION_NAMES].sort());
    const params: Record<string, unknown> = {
      'http.request': { url: 'http://x' },
      'shell.command': { command: ['true'] },
      'pg.backends': { connection: '{{secrets.PG_URL}}', operation: 'cancel', filter: { state: ['active'] } },
      'pg.statement': { connection: '{{secrets.PG_URL}}', sql: 'SELECT $1::int', params: [1] },
      'pg.diagnostics': { connection: '{{secrets.PG_URL}}', report: 'locks' },
      k8s: { operation: 'cordon', name: 'node-1' },
      script: { name: 'check.sh' },
    };
    for (const action of ACTION_NAMES) {
      const source = `id: p\nversion: 1\nmatch: { labels: {} }\nsteps:\n  - id: s\n    kind: diagnostic\n    action: ${action}\n    params: ${JSON.stringify(params[action])}\n`;
      expect(parsePlaybook(source, 'p.yaml').steps[0]!.action).toBe(action);
    }
  });

  it('reports a bad parameter against its own kind', () => {
    const source =
      'id: p\nversion: 1\nmatch: { labels: {} }\nsteps:\n  - id: s\n    kind: diagnostic\n    action: shell.command\n    params: { command: "rm -rf /" }\n';
    expect(() => parsePlaybook(source, 'p.yaml')).toThrow(/p\.yaml: steps\.0\.params\.command/);
  });
});
