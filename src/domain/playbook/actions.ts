import { z } from 'zod';
import { durationSchema } from './duration.js';
import { pgBackendsParams, pgDiagnosticsParams, pgStatementParams, type PgBackend } from './pg-actions.js';

/**
 * The one table of action kinds. The playbook schema (for steps and compensations), the types of
 * their parameters and results, and the performer registry (src/activities/actions/registry.ts,
 * which must name a performer for every kind here) all derive from it. A new kind is one entry
 * here, one performer file and one registry line.
 *
 * Parameter values may be `{{inputs.NAME}}` or `{{labels.NAME}}` placeholders; a value that is
 * exactly one placeholder keeps the input's type (a number stays a number). Every kind has a
 * `timeout` (milliseconds once parsed): the activity's deadline derives from it.
 */
export const ACTION_KINDS = {
  'http.request': {
    params: z
      .object({
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
        url: z.string().min(1),
        headers: z.record(z.string(), z.string()).default({}),
        body: z.unknown().optional(),
        timeout: durationSchema.default(30_000),
      })
      .strict(),
    result: {} as {
      status: number;
      /** The first few KiB of the response body, shown to approvers and in the status view. */
      body: string;
      durationMs: number;
    },
  },
  'shell.command': {
    params: z
      .object({
        /** argv, never a shell string: label values in arguments cannot inject shell syntax. */
        command: z.array(z.string().min(1)).min(1),
        cwd: z.string().optional(),
        /** The child's whole environment besides PATH; the worker's own environment is not passed on. */
        env: z.record(z.string(), z.string()).default({}),
        timeout: durationSchema.default(60_000),
      })
      .strict(),
    result: {} as {
      exitCode: number;
      /** The last few KiB of output: the end of a runbook's output is where its verdict usually is. */
      stdout: string;
      stderr: string;
      durationMs: number;
    },
  },
  /** Cancel or terminate the PostgreSQL sessions matching a filter (see pg-actions.ts). */
  'pg.backends': {
    params: pgBackendsParams,
    result: {} as {
      operation: 'cancel' | 'terminate';
      /** The sessions that matched, as they were just before being signalled. */
      matched: PgBackend[];
      /** Pids the server signalled (and, for terminate, saw exit within terminateTimeout). */
      signalled: number[];
      durationMs: number;
    },
  },
  /** Run one reviewed SQL statement with bind parameters, statement_timeout and lock_timeout. */
  'pg.statement': {
    params: pgStatementParams,
    result: {} as {
      command: string;
      rowCount: number | null;
      rows: Array<Record<string, unknown>>;
      durationMs: number;
    },
  },
  /** Read-only diagnostics: top queries by duration, blocked and blocking locks, replication lag. */
  'pg.diagnostics': {
    params: pgDiagnosticsParams,
    result: {} as {
      report: 'top-queries' | 'locks' | 'replication-lag';
      rows: Array<Record<string, unknown>>;
      durationMs: number;
    },
  },
} as const;

type Kinds = typeof ACTION_KINDS;
export type ActionName = keyof Kinds;
export const ACTION_NAMES = Object.keys(ACTION_KINDS) as ActionName[];
export type ActionParams<K extends ActionName> = z.infer<Kinds[K]['params']>;
export type ActionResultOf<K extends ActionName> = Kinds[K]['result'];
/** What any action returns: its kind's result (each has `durationMs`). */
export type ActionResult = { [K in ActionName]: ActionResultOf<K> }[ActionName];
/** One action with its parameters, as a playbook step or compensation names it. */
export type ActionSpec = { [K in ActionName]: { action: K; params: ActionParams<K> } }[ActionName];

export type HttpRequestParams = ActionParams<'http.request'>;
export type ShellCommandParams = ActionParams<'shell.command'>;

/**
 * One strict object schema per kind, each with `fields` beside `action` and `params`, as a
 * discriminated union on `action` (so a bad parameter is reported against its own kind).
 */
export function actionUnion<F extends z.ZodRawShape>(fields: F) {
  const variants = ACTION_NAMES.map((name) =>
    z.object({ ...fields, action: z.literal(name), params: ACTION_KINDS[name].params }).strict(),
  );
  return z.discriminatedUnion(
    'action',
    variants as unknown as [(typeof variants)[number], ...Array<(typeof variants)[number]>],
  );
}

export const actionSchema = actionUnion({});
