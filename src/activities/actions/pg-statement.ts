import { Context } from '@temporalio/activity';
import type { ActionParams, ActionResultOf } from '../../domain/playbook/actions.js';
import { withPgSession } from './pg-session.js';

/**
 * Run the playbook's reviewed SQL statement. Its values are bind parameters (extended protocol,
 * which also refuses more than one statement), with statement_timeout and lock_timeout set for
 * the session, and application_name so DBAs see who is acting in pg_stat_activity.
 */
export async function performPgStatement(
  params: ActionParams<'pg.statement'>,
  stop: AbortSignal = Context.current().cancellationSignal,
): Promise<ActionResultOf<'pg.statement'>> {
  const started = Date.now();
  return withPgSession(
    {
      connection: params.connection,
      applicationName: params.applicationName,
      timeoutMs: params.timeout,
      statementTimeoutMs: params.statementTimeout,
      lockTimeoutMs: params.lockTimeout,
      what: 'pg.statement',
    },
    stop,
    async (query) => {
      const result = await query(params.sql, params.params);
      return {
        command: result.command,
        rowCount: result.rowCount,
        rows: (result.rows as Array<Record<string, unknown>>).slice(0, params.maxRows),
        durationMs: Date.now() - started,
      };
    },
  );
}
