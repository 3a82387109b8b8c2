import type {
  ActionName,
  ActionParams,
  ActionResult,
  ActionResultOf,
  ActionSpec,
} from '../../domain/playbook/actions.js';
import { performHttpRequest } from './http-request.js';
import { performPgBackends } from './pg-backends.js';
import { performPgDiagnostics } from './pg-diagnostics.js';
import { performPgStatement } from './pg-statement.js';
import { performShellCommand } from './shell-command.js';
import { performKubernetes } from './kubernetes.js';
import { performScript } from './runbook-script.js';
import type { ActionSettings } from './settings.js';

/**
 * Who performs each action kind. The type requires an entry for every kind in the action table
 * (src/domain/playbook/actions.ts), so a kind without a performer does not compile. Each
 * performer heartbeats while it works and stops when `stop` fires (an opt-out, an emergency stop
 * or a guardrail), throwing its reason.
 */
export const PERFORMERS: {
  [K in ActionName]: (
    params: ActionParams<K>,
    stop: AbortSignal,
    settings: ActionSettings,
  ) => Promise<ActionResultOf<K>>;
} = {
  'http.request': performHttpRequest,
  'shell.command': performShellCommand,
  'pg.backends': performPgBackends,
  'pg.statement': performPgStatement,
  'pg.diagnostics': performPgDiagnostics,
  k8s: performKubernetes,
  script: performScript,
};

export function perform(spec: ActionSpec, stop: AbortSignal, settings: ActionSettings = {}): Promise<ActionResult> {
  // The spec pairs a kind with its own parameters; TypeScript cannot follow that through an index.
  const performer = PERFORMERS[spec.action] as (
    params: ActionSpec['params'],
    stop: AbortSignal,
    settings: ActionSettings,
  ) => Promise<ActionResult>;
  return performer(spec.params, stop, settings);
}
