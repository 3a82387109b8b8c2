import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { performPgBackends } from '../../src/activities/actions/pg-backends.js';
import { performPgDiagnostics } from '../../src/activities/actions/pg-diagnostics.js';
import { performPgStatement } from '../../src/activities/actions/pg-statement.js';
import type { ActionParams, ActionResultOf } from '../../src/domain/playbook/actions.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

/**
 * The PostgreSQL action kinds against a real PostgreSQL 15 of this file's own: sessions matched
 * and terminated, statements with bind parameters, the server's own failures and timeouts, a
 * stop that cancels the statement on the server, and a role without pg_signal_backend refused.
 */
let db: TestPostgres;
beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, note text)');
  await db.admin.query('GRANT ALL ON accounts TO app, ops, weak');
});
afterAll(async () => {
  await db?.stop();
});

/** Sessions a test opened as "the application", closed after each test. */
const sessions: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((c) => c.end().catch(() => undefined)));
});

async function appSession(applicationName: string, role: 'app' | 'superuser' = 'app'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url(role), application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  sessions.push(client);
  return client;
}

async function activity(applicationName: string) {
  return (
    await db.admin.query('SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ])
  ).rows as Array<{ pid: number; state: string; query: string }>;
}

const quiet = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

const diagnostics = (report: ActionParams<'pg.diagnostics'>['report']): ActionParams<'pg.diagnostics'> => ({
  connection: db.url('ops'),
  report,
  limit: 10,
  applicationName: 'interlock-test',
  timeout: 10_000,
});

const runBackends = (p: ActionParams<'pg.backends'>) =>
  quiet().run(performPgBackends, p) as Promise<ActionResultOf<'pg.backends'>>;

const diagnose = (report: ActionParams<'pg.diagnostics'>['report']) =>
  quiet().run(performPgDiagnostics, diagnostics(report)) as Promise<ActionResultOf<'pg.diagnostics'>>;

const statement = (p: Partial<ActionParams<'pg.statement'>> & { sql: string }): ActionParams<'pg.statement'> => ({
  connection: db.url('ops'),
  params: [],
  statementTimeout: 10_000,
  lockTimeout: 2_000,
  applicationName: 'interlock-test',
  maxRows: 50,
  timeout: 20_000,
  ...p,
});

const backends = (
  p: Partial<ActionParams<'pg.backends'>> & Pick<ActionParams<'pg.backends'>, 'filter'>,
): ActionParams<'pg.backends'> => ({
  connection: db.url('ops'),
  operation: 'terminate',
  terminateTimeout: 5_000,
  maxBackends: 10,
  applicationName: 'interlock-test',
  timeout: 20_000,
  ...p,
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('pg.backends', () => {
  it('terminates the idle-in-transaction sessions matching the filter, and only those', async () => {
    const stuck = await appSession('billing-batch');
    await stuck.query('BEGIN');
    await stuck.query('SELECT 1');
    const bystander = await appSession('billing-web');
    await bystander.query('BEGIN');
    await bystander.query('SELECT 1');
    const [victim] = await activity('billing-batch');
    const result = await runBackends(
      backends({ filter: { applicationName: 'billing-batch', usename: 'app', state: ['idle in transaction'] } }),
    );
    expect(result.signalled).toEqual([victim!.pid]);
    expect(result.matched).toMatchObject([{ pid: victim!.pid, state: 'idle in transaction', usename: 'app' }]);
    expect(await activity('billing-batch')).toEqual([]);
    expect(await activity('billing-web')).toHaveLength(1);
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
  });

  it('a filter on how long the session has been in its state leaves younger sessions alone', async () => {
    const young = await appSession('young-tx');
    await young.query('BEGIN');
    await young.query('SELECT 1');
    const result = await runBackends(
      backends({ filter: { applicationName: 'young-tx', state: ['idle in transaction'], minStateDuration: 60_000 } }),
    );
    expect(result.matched).toEqual([]);
    expect(await activity('young-tx')).toHaveLength(1);
  });

  it('cancels a long-running query without ending its session', async () => {
    const busy = await appSession('report-job');
    const running = busy.query('SELECT pg_sleep(30)').then(
      () => 'finished',
      (e: Error) => e.message,
    );
    await vi.waitFor(async () => expect((await activity('report-job'))[0]?.state).toBe('active'));
    const result = await runBackends(
      backends({ operation: 'cancel', filter: { applicationName: 'report-job', state: ['active'] } }),
    );
    expect(result.signalled).toHaveLength(1);
    expect(await running).toMatch(/canceling statement due to user request/);
    await vi.waitFor(async () => expect(await activity('report-job')).toMatchObject([{ state: 'idle' }]));
  });

  it('signals nothing when more sessions match than maxBackends', async () => {
    for (let i = 0; i < 3; i++) await appSession('fleet');
    const failure = await failureOf(runBackends(backends({ filter: { applicationName: 'fleet' }, maxBackends: 2 })));
    expect(failure.message).toMatch(/3 sessions match the filter, more than maxBackends \(2\); none was signalled/);
    expect(await activity('fleet')).toHaveLength(3);
  });

  it('a role without pg_signal_backend is refused, and the step fails saying so', async () => {
    await appSession('victim-of-weak');
    const failure = await failureOf(
      runBackends(backends({ connection: db.url('weak'), filter: { applicationName: 'victim-of-weak' } })),
    );
    expect(failure.type).toBe('ActionFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/terminate refused for 1 of 1 sessions \(0 signalled\)/);
    expect(failure.message).toMatch(/must be a member of the role whose process is being terminated/);
    expect(failure.message).toMatch(/pg_signal_backend/);
    expect(await activity('victim-of-weak')).toHaveLength(1);
  });

  it('a filter value is a value, never SQL', async () => {
    await appSession('innocent');
    const result = await runBackends(backends({ filter: { applicationName: "x' OR true OR application_name = '" } }));
    expect(result.matched).toEqual([]);
    expect(await activity('innocent')).toHaveLength(1);
  });
});

describe('pg.statement', () => {
  it('runs the reviewed statement with bind parameters, as the named application', async () => {
    const result = await quiet().run(
      performPgStatement,
      statement({
        sql: `INSERT INTO accounts (id, note) VALUES ($1, $2)
              RETURNING id, note, current_setting('application_name') AS app,
                        current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt`,
        params: [1, 'first'],
      }),
    );
    expect(result).toMatchObject({
      command: 'INSERT',
      rowCount: 1,
      rows: [{ id: 1, note: 'first', app: 'interlock-test', st: '10s', lt: '2s' }],
    });
  });

  it('an input crafted as SQL is stored as text, never run', async () => {
    const hostile = "x'); DROP TABLE accounts; --";
    await quiet().run(
      performPgStatement,
      statement({ sql: 'INSERT INTO accounts (id, note) VALUES ($1, $2)', params: [2, hostile] }),
    );
    const { rows } = await db.admin.query('SELECT note FROM accounts WHERE id = 2');
    expect(rows).toEqual([{ note: hostile }]);
  });

  it('refuses more than one statement in the SQL', async () => {
    const failure = await failureOf(
      quiet().run(performPgStatement, statement({ sql: 'SELECT 1; DROP TABLE accounts' })),
    );
    expect(failure.message).toMatch(/cannot insert multiple commands into a prepared statement/);
    expect((await db.admin.query("SELECT to_regclass('accounts') AS t")).rows[0].t).toBe('accounts');
  });

  it('bad SQL fails with the server message, and the connection string is not in it', async () => {
    const failure = await failureOf(quiet().run(performPgStatement, statement({ sql: 'SELEC broken' })));
    expect(failure.type).toBe('ActionFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/pg.statement: syntax error at or near "SELEC" \(SQLSTATE 42601\)/);
    const password = new URL(db.url('ops')).password;
    expect(JSON.stringify({ m: failure.message, s: failure.stack, d: failure.details })).not.toContain(password);
  });

  it('statement_timeout stops a slow statement on the server and the step times out', async () => {
    const failure = await failureOf(
      quiet().run(
        performPgStatement,
        statement({ sql: 'SELECT pg_sleep(20)', statementTimeout: 300, applicationName: 'st-timeout' }),
      ),
    );
    expect(failure.type).toBe('ActionTimedOut');
    expect(failure.message).toMatch(/canceling statement due to statement timeout/);
  });

  it('lock_timeout gives up on a lock another session holds', async () => {
    const holder = await appSession('lock-holder', 'superuser');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const failure = await failureOf(
      quiet().run(performPgStatement, statement({ sql: 'SELECT count(*) FROM accounts', lockTimeout: 300 })),
    );
    expect(failure.type).toBe('ActionTimedOut');
    expect(failure.message).toMatch(/lock timeout/);
  });

  it('a stop mid-run cancels the statement on the server (pg_cancel_backend from a second connection)', async () => {
    const env = quiet();
    const running = env
      .run(performPgStatement, statement({ sql: 'SELECT pg_sleep(30)', applicationName: 'interlock-optout' }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await vi.waitFor(async () => expect(await activity('interlock-optout')).toMatchObject([{ state: 'active' }]));
    const stoppedAt = Date.now();
    env.cancel('CANCELLED');
    expect(await running).toBeInstanceOf(CancelledFailure);
    // The server-side statement is gone (its session closed once stopped), well before pg_sleep would end.
    await vi.waitFor(
      async () =>
        expect(
          (await activity('interlock-optout')).filter((a) => a.query.includes('pg_sleep(30)') && a.state === 'active'),
        ).toEqual([]),
      { timeout: 3_000, interval: 50 },
    );
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    const log = await db.admin.query('SELECT 1');
    expect(log.rowCount).toBe(1);
  });
});

describe('pg.diagnostics', () => {
  it('top queries lists the longest-running sessions first', async () => {
    const slow = await appSession('slow-reader');
    void slow.query('SELECT pg_sleep(5)').catch(() => undefined);
    await vi.waitFor(async () => expect((await activity('slow-reader'))[0]?.state).toBe('active'));
    const result = await diagnose('top-queries');
    expect(result.rows.find((r) => r.applicationName === 'slow-reader')).toMatchObject({
      state: 'active',
      query: 'SELECT pg_sleep(5)',
    });
  });

  it('locks shows who is blocked and who blocks them', async () => {
    const holder = await appSession('holder', 'superuser');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const waiter = await appSession('waiter', 'superuser');
    void waiter.query('SELECT count(*) FROM accounts').catch(() => undefined);
    const [h] = await activity('holder');
    await vi.waitFor(async () => {
      const result = await diagnose('locks');
      expect(result.rows).toContainEqual(
        expect.objectContaining({
          blockingPid: h!.pid,
          relation: 'accounts',
          blockedQuery: 'SELECT count(*) FROM accounts',
        }),
      );
    });
    await holder.query('ROLLBACK');
  });

  it('replication lag answers on a primary without standbys (no rows), read-only', async () => {
    const result = await diagnose('replication-lag');
    expect(result.rows).toEqual([]);
  });
});
