import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../src/clients/config/catalog.js';
import { actionSummary } from '../../src/domain/playbook/action-summary.js';
import { ACTION_KINDS } from '../../src/domain/playbook/actions.js';

/** The pg kinds' parameter schemas: what a playbook may say, and the messages for what it may not. */
const step = (action: string, params: string, extra = '') =>
  `id: p\nversion: 1\nmatch: { labels: {} }\nsteps:\n  - id: s\n    kind: mitigation\n${extra}    action: ${action}\n    params: ${params}\n`;

describe('pg action parameters', () => {
  it('fills the defaults: timeouts, application_name, a cap on sessions signalled', () => {
    const backends = ACTION_KINDS['pg.backends'].params.parse({
      connection: '{{secrets.PG_URL}}',
      operation: 'terminate',
      filter: { usename: 'app', state: ['idle in transaction'], minStateDuration: '5m' },
    });
    expect(backends).toMatchObject({
      terminateTimeout: 5_000,
      maxBackends: 10,
      applicationName: 'interlock',
      timeout: 30_000,
      filter: { minStateDuration: 300_000 },
    });
    const statement = ACTION_KINDS['pg.statement'].params.parse({ connection: '{{secrets.DB}}', sql: 'SELECT 1' });
    expect(statement).toMatchObject({ params: [], statementTimeout: 30_000, lockTimeout: 5_000, maxRows: 50 });
  });

  it('takes labels and inputs as bind parameters', () => {
    const p = parsePlaybook(
      step(
        'pg.statement',
        '{ connection: "{{secrets.PG_URL}}", sql: "UPDATE jobs SET paused = true WHERE queue = $1 AND id < $2", params: ["{{labels.queue}}", "{{inputs.max}}"] }',
        '    inputs: { max: { type: integer, default: 10 } }\n',
      ),
      'p.yaml',
    );
    expect(p.steps[0]!.params).toMatchObject({ params: ['{{labels.queue}}', '{{inputs.max}}'] });
  });

  it.each([
    [
      'a connection string written in the playbook',
      step('pg.diagnostics', '{ connection: "postgres://u:pw@db/x", report: locks }'),
      /steps\.0\.params\.connection: .*secret reference like "\{\{secrets\.PG_URL\}\}"/,
    ],
    [
      'a placeholder spliced into the SQL',
      step('pg.statement', `{ connection: "{{secrets.PG_URL}}", sql: "DELETE FROM t WHERE id = '{{labels.id}}'" }`),
      /steps\.0\.params\.sql: .*put values in params and write \$1, \$2/,
    ],
    [
      'a filter that would match every session',
      step(
        'pg.backends',
        '{ connection: "{{secrets.PG_URL}}", operation: terminate, filter: { minStateDuration: 1m } }',
      ),
      /steps\.0\.params\.filter: name at least one of applicationName, usename, datname or state/,
    ],
    [
      'an unknown operation',
      step('pg.backends', '{ connection: "{{secrets.PG_URL}}", operation: kill, filter: { usename: app } }'),
      /steps\.0\.params\.operation/,
    ],
    [
      'an unknown session state',
      step('pg.backends', '{ connection: "{{secrets.PG_URL}}", operation: cancel, filter: { state: [sleeping] } }'),
      /steps\.0\.params\.filter\.state\.0/,
    ],
    [
      'an unknown report',
      step('pg.diagnostics', '{ connection: "{{secrets.PG_URL}}", report: everything }'),
      /steps\.0\.params\.report/,
    ],
    [
      'a bad statement timeout',
      step('pg.statement', '{ connection: "{{secrets.PG_URL}}", sql: "SELECT 1", statementTimeout: soon }'),
      /steps\.0\.params\.statementTimeout: .*a duration like/,
    ],
    [
      'an unknown field',
      step('pg.statement', '{ connection: "{{secrets.PG_URL}}", sql: "SELECT 1", database: other }'),
      /steps\.0\.params.*database/,
    ],
  ])('refuses %s, naming the field', (_what, source, message) => {
    expect(() => parsePlaybook(source, 'p.yaml')).toThrow(message);
  });
});

describe('pg action summaries (the Temporal UI line)', () => {
  it('says what the step does, never the connection or the values', () => {
    const p = parsePlaybook(
      step(
        'pg.statement',
        '{ connection: "{{secrets.PG_URL}}", sql: " update jobs set paused = $1", params: [secret-ish] }',
      ),
      'p.yaml',
    );
    const summary = actionSummary('s', p.steps[0]!);
    expect(summary).toBe('s: pg UPDATE');
  });
});
