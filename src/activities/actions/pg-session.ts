import { ApplicationFailure, Context } from '@temporalio/activity';
import pg from 'pg';
import { keepHeartbeating } from './heartbeat.js';

/** How long a cancelled statement gets to end after pg_cancel_backend before the connection is dropped. */
const CANCEL_GRACE_MS = 3_000;
/** Connecting is not the slow part of any action; a server that does not answer is down. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PgSessionOptions {
  /** The resolved connection string (a secret: never put in a message). */
  connection: string;
  applicationName: string;
  /** The step's deadline for the whole session. */
  timeoutMs: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  readOnly?: boolean;
  /** What the step does, for messages ("pg.statement"). */
  what: string;
}

export type PgQuery = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/**
 * Open one session, run `work` in it and close it, heartbeating meanwhile. Stopping (an opt-out,
 * an emergency stop, a guardrail, the step's timeout) cancels the running statement ON THE
 * SERVER: a second connection calls pg_cancel_backend(<our backend's pid>), because a client
 * that merely disconnects leaves its statement running until the server next writes to it. When
 * `stop` fires, its reason is what this throws.
 */
export async function withPgSession<T>(
  options: PgSessionOptions,
  stop: AbortSignal,
  work: (query: PgQuery) => Promise<T>,
): Promise<T> {
  if (stop.aborted) throw stop.reason;
  const stopHeartbeating = keepHeartbeating(Context.current());
  const client = new pg.Client({ connectionString: options.connection, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A dropped connection surfaces through the pending query; without a listener it would crash the worker.
  client.on('error', () => undefined);
  let stopping: { reason: unknown } | undefined;
  let finished = false;
  const interrupt = (reason: unknown) => {
    if (stopping || finished) return;
    stopping = { reason };
    void cancelOnServer(options.connection, client).finally(() => {
      // The server did not stop it in time (or could not be reached): drop the connection.
      setTimeout(() => !finished && void client.end().catch(() => undefined), CANCEL_GRACE_MS).unref();
    });
  };
  const onAbort = () => interrupt(stop.reason);
  stop.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () =>
      interrupt(
        ApplicationFailure.create({
          type: 'ActionTimedOut',
          message: `${options.what} timed out after ${options.timeoutMs} ms (the statement was cancelled on the server)`,
        }),
      ),
    options.timeoutMs,
  );
  try {
    await client.connect();
    // Session settings as bind parameters too: set_config takes values, so nothing is spliced into SQL.
    await client.query(
      `SELECT set_config('application_name', $1, false), set_config('statement_timeout', $2, false),
              set_config('lock_timeout', $3, false), set_config('default_transaction_read_only', $4, false)`,
      [
        options.applicationName,
        String(options.statementTimeoutMs ?? 0),
        String(options.lockTimeoutMs ?? 0),
        options.readOnly ? 'on' : 'off',
      ],
    );
    if (stopping) throw stopping.reason;
    return await work((text, values) => client.query({ text, values, queryMode: 'extended' } as pg.QueryConfig));
  } catch (err) {
    if (stopping) throw stopping.reason;
    throw describeFailure(err, options);
  } finally {
    finished = true;
    clearTimeout(timer);
    stop.removeEventListener('abort', onAbort);
    stopHeartbeating();
    await client.end().catch(() => undefined);
  }
}

/** pg_cancel_backend from a second connection: the running statement stops on the server. */
async function cancelOnServer(connection: string, client: pg.Client): Promise<void> {
  const pid = (client as pg.Client & { processID?: number }).processID;
  if (!pid) return;
  const canceller = new pg.Client({ connectionString: connection, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // Nothing more to do here: the connection is dropped after the grace period.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

/** The server's own words (message, SQLSTATE, detail), as a failure of the right type. */
function describeFailure(err: unknown, options: PgSessionOptions): unknown {
  // Already ours (a performer's own verdict): as it is.
  if (!(err instanceof Error) || err instanceof ApplicationFailure) return err;
  const db = err as Error & { code?: string; detail?: string; hint?: string };
  const fromServer = err instanceof pg.DatabaseError;
  const detail = [db.detail, db.hint].filter(Boolean).join(' ');
  const message = `${options.what}: ${db.message}${db.code ? ` (SQLSTATE ${db.code})` : ''}${detail ? `: ${detail}` : ''}`;
  // 57014 from statement_timeout, 55P03 from lock_timeout: the server's own timeouts.
  if (fromServer && (db.code === '57014' || db.code === '55P03'))
    return ApplicationFailure.create({ type: 'ActionTimedOut', message, nonRetryable: true });
  if (fromServer)
    // The server refused (bad SQL, permission, constraint): running it again gives the same answer.
    return ApplicationFailure.create({ type: 'ActionFailed', message, nonRetryable: true });
  // Could not connect or the connection broke: may be transient.
  return ApplicationFailure.create({ type: 'ActionFailed', message, nonRetryable: false });
}
