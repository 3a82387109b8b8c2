import { Context } from '@temporalio/activity';
import type { ActionParams, ActionResultOf } from '../../domain/playbook/actions.js';
import { withPgSession } from './pg-session.js';

/**
 * Read-only reports for a playbook's diagnostic steps. The session is read-only
 * (default_transaction_read_only) besides: a report can never change anything.
 */
const REPORTS: Record<ActionParams<'pg.diagnostics'>['report'], string> = {
  // Client sessions by how long their current query (or idle transaction) has lasted.
  'top-queries': `
SELECT pid, usename, datname, application_name AS "applicationName", state, wait_event_type AS "waitEventType",
       extract(epoch FROM now() - coalesce(query_start, state_change))::float8 AS "querySeconds",
       extract(epoch FROM now() - xact_start)::float8 AS "transactionSeconds", left(query, 200) AS query
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
 ORDER BY coalesce(query_start, state_change) ASC NULLS LAST
 LIMIT $1`,
  // Every session waiting for a lock, with the sessions holding it up (pg_blocking_pids).
  locks: `
SELECT w.pid AS "blockedPid", w.usename AS "blockedUser", l.locktype, l.mode, l.relation::regclass::text AS relation,
       extract(epoch FROM now() - w.query_start)::float8 AS "waitingSeconds", left(w.query, 200) AS "blockedQuery",
       b.pid AS "blockingPid", b.usename AS "blockingUser", b.state AS "blockingState", left(b.query, 200) AS "blockingQuery"
  FROM pg_locks l
  JOIN pg_stat_activity w ON w.pid = l.pid
  CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocking(pid)
  JOIN pg_stat_activity b ON b.pid = blocking.pid
 WHERE NOT l.granted
 ORDER BY "waitingSeconds" DESC NULLS LAST
 LIMIT $1`,
  // On a primary, one row per standby; on a standby, one row with the replay delay.
  'replication-lag': `
SELECT 'standby' AS role, application_name AS "applicationName", client_addr::text AS "clientAddr", state,
       sync_state AS "syncState", pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS "replayLagBytes",
       extract(epoch FROM replay_lag)::float8 AS "replayLagSeconds"
  FROM pg_stat_replication
 WHERE NOT pg_is_in_recovery()
UNION ALL
SELECT 'this-server-is-a-standby', NULL, NULL, NULL, NULL,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
 WHERE pg_is_in_recovery()
 LIMIT $1`,
};

export async function performPgDiagnostics(
  params: ActionParams<'pg.diagnostics'>,
  stop: AbortSignal = Context.current().cancellationSignal,
): Promise<ActionResultOf<'pg.diagnostics'>> {
  const started = Date.now();
  return withPgSession(
    {
      connection: params.connection,
      applicationName: params.applicationName,
      timeoutMs: params.timeout,
      statementTimeoutMs: params.timeout,
      readOnly: true,
      what: `pg.diagnostics ${params.report}`,
    },
    stop,
    async (query) => {
      const result = await query(REPORTS[params.report], [params.limit]);
      return {
        report: params.report,
        rows: result.rows as Array<Record<string, unknown>>,
        durationMs: Date.now() - started,
      };
    },
  );
}
