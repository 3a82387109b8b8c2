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
  /**
   * One change to a Kubernetes object through the API server (see src/activities/actions/kubernetes.ts).
   * `rollout-restart` and `scale` wait for the rollout to finish unless `wait` is false;
   * `wait-rollout` only waits. Nodes have no namespace; every other operation needs one.
   */
  k8s: {
    params: z
      .object({
        operation: z.enum(['rollout-restart', 'scale', 'wait-rollout', 'cordon', 'uncordon', 'delete-pod']),
        namespace: z.string().min(1).optional(),
        /** The deployment, node or pod. */
        name: z.string().min(1),
        /** For `scale`: a whole number, or one `{{inputs.NAME}}` placeholder (checked as the step runs). */
        replicas: z
          .union([z.number().int().min(0), z.string().regex(/^\{\{\s*inputs\.[a-zA-Z0-9_]+\s*\}\}$/)])
          .optional(),
        wait: z.boolean().default(true),
        /** For `delete-pod`: the pod's grace period; unset, the pod's own. */
        gracePeriodSeconds: z.number().int().min(0).optional(),
        timeout: durationSchema.default(300_000),
      })
      .strict()
      .superRefine((p, ctx) => {
        if (p.operation !== 'cordon' && p.operation !== 'uncordon' && !p.namespace)
          ctx.addIssue({ code: 'custom', path: ['namespace'], message: `${p.operation} needs a namespace` });
        if (p.operation === 'scale' && p.replicas === undefined)
          ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'scale needs replicas' });
        if (p.operation !== 'scale' && p.replicas !== undefined)
          ctx.addIssue({ code: 'custom', path: ['replicas'], message: `only scale takes replicas` });
      }),
    result: {} as {
      operation: string;
      /** namespace/name, or the node's name. */
      target: string;
      /** For `scale`: the replicas before the change, so a compensation (or a person) can scale back. */
      previousReplicas?: number;
      replicas?: number;
      /** For operations that waited: the rollout's state when it finished. */
      rollout?: { updatedReplicas: number; availableReplicas: number; replicas: number };
      durationMs: number;
    },
  },
  /**
   * A runbook script from the worker's runbooks folder (RUNBOOKS_DIR), by name, with an argument
   * vector: never shell text, so label values in arguments arrive verbatim.
   */
  script: {
    params: z
      .object({
        /** A path relative to the runbooks folder; it must stay inside it (no `..`, no absolute path). */
        name: z
          .string()
          .min(1)
          .refine((n) => !n.startsWith('/') && !n.split(/[\\/]/).includes('..'), {
            error: 'a path inside the runbooks folder (no leading /, no ..)',
          }),
        args: z.array(z.string()).default([]),
        /** The script's whole environment besides PATH, as for shell.command. */
        env: z.record(z.string(), z.string()).default({}),
        timeout: durationSchema.default(60_000),
      })
      .strict(),
    result: {} as {
      /** The script's real path under the runbooks folder. */
      script: string;
      exitCode: number;
      stdout: string;
      stderr: string;
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
export type KubernetesParams = ActionParams<'k8s'>;
export type ScriptParams = ActionParams<'script'>;

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
