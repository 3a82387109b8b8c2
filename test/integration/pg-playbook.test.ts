import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { directorySecrets } from '../../src/clients/secrets/provider.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { responses } from '../support/responses.js';

/**
 * The pg action kinds through the real workflow (Temporal, OpenSearch, worker, gateway) against a
 * real PostgreSQL 15: the connection string comes from a secret and appears nowhere, an alert
 * label travels as a bind parameter, a bad statement fails the mitigation with the server's
 * words, and an opt-out cancels the running statement on the server.
 */
let db: TestPostgres;
let h: Harness;
let r: ReturnType<typeof responses>;
let secretsDir: string;
const appSessions: pg.Client[] = [];

const playbook = (alertname: string, mitigation: string) => `
id: pg-${alertname.toLowerCase()}
version: 1
match: { labels: { alertname: ${alertname} } }
steps:
  - id: top-queries
    kind: diagnostic
    action: pg.diagnostics
    params: { connection: "{{secrets.PG_URL}}", report: top-queries, limit: 5 }
  - id: act
    kind: mitigation
    risk: low
${mitigation}
`;

beforeAll(async () => {
  db = await startTestPostgres();
  secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-pg-secrets-'));
  fs.writeFileSync(path.join(secretsDir, 'PG_URL'), db.url('ops'), { mode: 0o600 });
  h = await startHarness({
    playbooks: {
      'kill.yaml': playbook(
        'PgKillIdle',
        `    action: pg.backends
    params:
      connection: "{{secrets.PG_URL}}"
      operation: terminate
      filter: { applicationName: "{{labels.app}}", state: [idle in transaction] }`,
      ),
      'sleep.yaml': playbook(
        'PgSlowFix',
        `    inputs: { seconds: { type: integer, default: 30, min: 1, max: 60 } }
    action: pg.statement
    params:
      connection: "{{secrets.PG_URL}}"
      sql: SELECT pg_sleep($1)
      params: ["{{inputs.seconds}}"]
      applicationName: interlock-slow-fix
      timeout: 2m`,
      ),
      'bad.yaml': playbook(
        'PgBadSql',
        `    action: pg.statement
    params: { connection: "{{secrets.PG_URL}}", sql: "UPDATE no_such_table SET x = $1", params: ["{{labels.app}}"] }`,
      ),
    },
    policy: 'default: { mode: auto }\n',
    secrets: directorySecrets(secretsDir),
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await Promise.all(appSessions.map((c) => c.end().catch(() => undefined)));
  await db?.stop();
  if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
});

async function idleInTransaction(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: db.url('app'), application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  appSessions.push(client);
  await client.query('BEGIN');
  await client.query('SELECT 1');
  return (client as pg.Client & { processID: number }).processID;
}

const sessionsOf = async (applicationName: string) =>
  (
    await db.admin.query('SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ])
  ).rows as Array<{ pid: number; state: string; query: string }>;

/** Neither the connection string nor its password anywhere the response is visible. */
async function expectNoSecret(incidentId: string) {
  const status = JSON.stringify(await r.status(incidentId));
  const history = JSON.stringify(await h.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory());
  const password = new URL(db.url('ops')).password;
  for (const text of [status, history]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(db.url('ops'));
  }
  expect(status).toContain('{{secrets.PG_URL}}');
}

describe('pg actions in a response', () => {
  it("terminates the idle transaction named by the alert's label, and only it", async () => {
    const victim = await idleInTransaction('batch-7');
    await idleInTransaction('batch-8');
    const id = await r.open('pg-kill', { labels: { alertname: 'PgKillIdle', app: 'batch-7' } });
    const s = await r.until(id, (x) => x.steps?.find((st: any) => st.id === 'act')?.state === 'succeeded');
    const act = s.steps.find((st: any) => st.id === 'act');
    expect(JSON.stringify(act)).toContain(`"signalled":[${victim}]`);
    expect(await sessionsOf('batch-7')).toEqual([]);
    expect(await sessionsOf('batch-8')).toHaveLength(1);
    await expectNoSecret(id);
  });

  it('a label crafted as SQL matches nothing: it is a bind parameter', async () => {
    await idleInTransaction('batch-9');
    const id = await r.open('pg-inject', {
      labels: { alertname: 'PgKillIdle', app: "x' OR application_name LIKE '%" },
    });
    const s = await r.until(id, (x) => x.steps?.find((st: any) => st.id === 'act')?.state === 'succeeded');
    expect(JSON.stringify(s.steps.find((st: any) => st.id === 'act'))).toContain('"matched":[]');
    expect(await sessionsOf('batch-9')).toHaveLength(1);
  });

  it("a bad statement fails the mitigation with the server's message and no secret", async () => {
    const id = await r.open('pg-bad', { labels: { alertname: 'PgBadSql', app: 'x' } });
    const s = await r.until(id, (x) => x.steps?.find((st: any) => st.id === 'act')?.state === 'failed');
    expect(JSON.stringify(s.steps.find((st: any) => st.id === 'act'))).toMatch(
      /relation \\"no_such_table\\" does not exist \(SQLSTATE 42P01\)/,
    );
    await expectNoSecret(id);
  });

  it('an opt-out mid-statement cancels it on the server', async () => {
    const id = await r.open('pg-optout', { labels: { alertname: 'PgSlowFix' } });
    await vi.waitFor(async () => expect(await sessionsOf('interlock-slow-fix')).toMatchObject([{ state: 'active' }]), {
      timeout: 20_000,
      interval: 100,
    });
    const optOut = await r.post(id, 'opt-out', 'alice', { reason: 'DBA is on it by hand' });
    expect(optOut.status).toBe(200);
    const stoppedAt = Date.now();
    // The pg_sleep(30) is stopped on the server within seconds, not when it would have ended.
    await vi.waitFor(
      async () => expect((await sessionsOf('interlock-slow-fix')).filter((x) => x.state === 'active')).toEqual([]),
      { timeout: 5_000, interval: 50 },
    );
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const s = await r.until(id, (x) => x.steps?.find((st: any) => st.id === 'act')?.state === 'cancelled');
    expect(s.phase).toBe('opted-out');
    await expectNoSecret(id);
  });
});
