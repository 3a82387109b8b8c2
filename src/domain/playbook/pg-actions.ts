import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * Parameter schemas of the PostgreSQL action kinds (`pg.backends`, `pg.statement`,
 * `pg.diagnostics`; their entries are in actions.ts). Two rules hold for all three:
 * - the connection string is a secret reference, never text in a playbook: it carries a password,
 *   and the reference is all that reaches history, the audit trail and the status view;
 * - nothing from an alert or an approver is ever spliced into SQL: filters and statement values
 *   travel as bind parameters ($1, $2 …), so a label cannot change what a statement does.
 */

const SECRET_REFERENCE = /^\{\{secrets\.[A-Za-z][A-Za-z0-9_]{0,127}\}\}$/;

export const pgConnectionSchema = z
  .string()
  .regex(
    SECRET_REFERENCE,
    'must be a secret reference like "{{secrets.PG_URL}}": a connection string holds a password, so it is never written in a playbook',
  );

/** What the server shows in pg_stat_activity for our own sessions, so DBAs see who is acting. */
export const pgApplicationNameSchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,63}$/, 'printable ASCII, at most 63 characters (PostgreSQL truncates longer names)')
  .default('interlock');

export const PG_BACKEND_STATES = [
  'active',
  'idle',
  'idle in transaction',
  'idle in transaction (aborted)',
  'fastpath function call',
  'disabled',
] as const;

/** Which client sessions an operation applies to: every condition given must hold. */
export const pgBackendFilterSchema = z
  .object({
    applicationName: z.string().min(1).optional(),
    usename: z.string().min(1).optional(),
    datname: z.string().min(1).optional(),
    state: z.array(z.enum(PG_BACKEND_STATES)).min(1).optional(),
    /** In its current state for at least this long (now() - state_change): a long query, a long idle transaction. */
    minStateDuration: durationSchema.optional(),
    /** Its transaction open for at least this long (now() - xact_start). */
    minTransactionDuration: durationSchema.optional(),
  })
  .strict()
  .refine(
    (f) => f.applicationName !== undefined || f.usename !== undefined || f.datname !== undefined || f.state,
    'name at least one of applicationName, usename, datname or state: a filter without them would match every session on the server',
  );
export type PgBackendFilter = z.infer<typeof pgBackendFilterSchema>;

export const pgBackendsParams = z
  .object({
    connection: pgConnectionSchema,
    /** cancel: pg_cancel_backend (the running query stops, the session stays); terminate: pg_terminate_backend. */
    operation: z.enum(['cancel', 'terminate']),
    filter: pgBackendFilterSchema,
    /** How long pg_terminate_backend waits for each session to exit before reporting it still alive. */
    terminateTimeout: durationSchema.default(5_000),
    /** More matching sessions than this and nothing is signalled: a filter that matches too much is a mistake. */
    maxBackends: z.number().int().min(1).max(1000).default(10),
    applicationName: pgApplicationNameSchema,
    timeout: durationSchema.default(30_000),
  })
  .strict();

const bindValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const pgStatementParams = z
  .object({
    connection: pgConnectionSchema,
    /** One statement, reviewed with the playbook. Values go in `params` and are referenced as $1, $2 … */
    sql: z
      .string()
      .min(1)
      .refine(
        (sql) => !sql.includes('{{'),
        'the SQL is fixed text reviewed with the playbook: put values in params and write $1, $2 … in the SQL, never {{…}} placeholders',
      ),
    /** Bind parameters; `{{inputs.x}}` / `{{labels.x}}` may appear here (they are sent as values, never as SQL). */
    params: z.array(bindValue).max(100).default([]),
    statementTimeout: durationSchema.default(30_000),
    lockTimeout: durationSchema.default(5_000),
    applicationName: pgApplicationNameSchema,
    /** Rows of the result kept (shown to approvers and in the status view). */
    maxRows: z.number().int().min(0).max(1000).default(50),
    timeout: durationSchema.default(60_000),
  })
  .strict();

export const PG_DIAGNOSTIC_REPORTS = ['top-queries', 'locks', 'replication-lag'] as const;

export const pgDiagnosticsParams = z
  .object({
    connection: pgConnectionSchema,
    report: z.enum(PG_DIAGNOSTIC_REPORTS),
    limit: z.number().int().min(1).max(500).default(20),
    applicationName: pgApplicationNameSchema,
    timeout: durationSchema.default(30_000),
  })
  .strict();

/** One client session as pg_stat_activity shows it (query text clipped). */
export interface PgBackend {
  pid: number;
  usename: string | null;
  datname: string | null;
  applicationName: string | null;
  state: string | null;
  stateSeconds: number | null;
  query: string;
}
