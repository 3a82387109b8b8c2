import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionParams, ActionResultOf } from '../../domain/playbook/actions.js';
import type { PgBackend, PgBackendFilter } from '../../domain/playbook/pg-actions.js';
import { withPgSession, type PgQuery } from './pg-session.js';

const QUERY_EXCERPT_CHARS = 200;

/**
 * Client sessions matching every condition of the filter, each a bind parameter (a NULL
 * parameter means "any"), never our own session and never the server's own processes. Without
 * pg_read_all_stats another role's session shows NULL for most columns, backend_type included:
 * such a session can still match by name and is attempted, so the server's refusal is reported
 * rather than the session silently skipped.
 */
const MATCHING = `
SELECT pid, usename, datname, application_name AS "applicationName", state,
       extract(epoch FROM now() - state_change)::float8 AS "stateSeconds",
       left(query, ${QUERY_EXCERPT_CHARS}) AS query, backend_start::text AS "backendStart"
  FROM pg_stat_activity
 WHERE coalesce(backend_type, 'client backend') = 'client backend' AND pid <> pg_backend_pid()
   AND ($1::text IS NULL OR application_name = $1)
   AND ($2::text IS NULL OR usename = $2)
   AND ($3::text IS NULL OR datname = $3)
   AND ($4::text[] IS NULL OR state = ANY($4))
   AND ($5::float8 IS NULL OR state_change <= now() - make_interval(secs => $5 / 1000))
   AND ($6::float8 IS NULL OR xact_start <= now() - make_interval(secs => $6 / 1000))
 ORDER BY pid`;

/**
 * Cancel (pg_cancel_backend) or terminate (pg_terminate_backend, waiting terminateTimeout for the
 * session to exit) the sessions matching a filter. More matches than maxBackends and nothing is
 * signalled. Each pid is signalled only if it is still the same session (same backend_start), so
 * a pid reused since the match is never hit (a role that may not see another role's details sees a
 * NULL backend_start, and its attempt goes to the server, which refuses it). A refusal (no pg_signal_backend, a superuser's
 * session) fails the step, naming what was and was not signalled.
 */
export async function performPgBackends(
  params: ActionParams<'pg.backends'>,
  stop: AbortSignal = Context.current().cancellationSignal,
): Promise<ActionResultOf<'pg.backends'>> {
  const started = Date.now();
  return withPgSession(
    {
      connection: params.connection,
      applicationName: params.applicationName,
      timeoutMs: params.timeout,
      what: 'pg.backends',
    },
    stop,
    async (query) => {
      const rows = (await query(MATCHING, filterValues(params.filter))).rows as Array<
        PgBackend & { backendStart: string }
      >;
      const matched = rows.map(({ backendStart: _b, ...backend }) => backend);
      if (rows.length > params.maxBackends)
        throw ApplicationFailure.create({
          type: 'ActionFailed',
          message: `pg.backends: ${rows.length} sessions match the filter, more than maxBackends (${params.maxBackends}); none was signalled`,
          details: [{ operation: params.operation, matched, signalled: [] }],
          nonRetryable: true,
        });
      const signalled: number[] = [];
      const refused: string[] = [];
      for (const row of rows) {
        if (stop.aborted) break;
        try {
          const outcome = await signal(query, params, row.pid, row.backendStart);
          if (outcome === 'signalled') signalled.push(row.pid);
          else if (outcome === 'refused')
            refused.push(
              params.operation === 'terminate'
                ? `pid ${row.pid}: still running ${params.terminateTimeout} ms after pg_terminate_backend`
                : `pid ${row.pid}: pg_cancel_backend returned false`,
            );
        } catch (err) {
          refused.push(`pid ${row.pid}: ${(err as Error).message}`);
        }
      }
      const result = { operation: params.operation, matched, signalled, durationMs: Date.now() - started };
      if (refused.length)
        throw ApplicationFailure.create({
          type: 'ActionFailed',
          message: `pg.backends: ${params.operation} refused for ${refused.length} of ${rows.length} sessions (${signalled.length} signalled): ${refused.join('; ')}`,
          details: [result],
          nonRetryable: true,
        });
      return result;
    },
  );
}

async function signal(
  query: PgQuery,
  params: ActionParams<'pg.backends'>,
  pid: number,
  backendStart: string | null,
): Promise<'signalled' | 'gone' | 'refused'> {
  const call = params.operation === 'terminate' ? 'pg_terminate_backend(pid, $3::bigint)' : 'pg_cancel_backend(pid)';
  const values: unknown[] = [pid, backendStart];
  if (params.operation === 'terminate') values.push(params.terminateTimeout);
  const result = await query(
    `SELECT ${call} AS ok FROM pg_stat_activity WHERE pid = $1 AND backend_start IS NOT DISTINCT FROM $2::timestamptz`,
    values,
  );
  // No row: the session ended on its own meanwhile, which is what we wanted.
  if (result.rows.length === 0) return 'gone';
  // false: pg_terminate_backend waited terminateTimeout and the session is still there.
  return result.rows[0].ok === true ? 'signalled' : 'refused';
}

function filterValues(filter: PgBackendFilter): unknown[] {
  return [
    filter.applicationName ?? null,
    filter.usename ?? null,
    filter.datname ?? null,
    filter.state ?? null,
    filter.minStateDuration ?? null,
    filter.minTransactionDuration ?? null,
  ];
}
