import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionResultOf, ScriptParams } from '../../domain/playbook/actions.js';
import { performShellCommand } from './shell-command.js';
import type { ActionSettings } from './settings.js';

type ScriptResult = ActionResultOf<'script'>;

/**
 * Run a runbook script from the configured folder with an argument vector. The script is found
 * by name inside the folder only: the playbook schema refuses `..` and absolute names, and here
 * the real path (symlinks resolved) must still lie inside the folder's real path, so a link
 * planted in the folder cannot lead out of it. Running it is the shell performer's job (process
 * group, guardian, kill on stop and timeout, output tails), so both kinds stop the same way.
 */
export async function performScript(
  params: ScriptParams,
  stop: AbortSignal = Context.current().cancellationSignal,
  settings: ActionSettings = {},
): Promise<ScriptResult> {
  if (stop.aborted) throw stop.reason;
  const script = resolveScript(settings.runbooksDir, params.name);
  // A whole `{{inputs.n}}` placeholder keeps its number type; argv takes strings.
  const result = await performShellCommand(
    {
      command: [script, ...params.args.map(String)],
      cwd: path.dirname(script),
      env: params.env,
      timeout: params.timeout,
    },
    stop,
  );
  return { script, ...result };
}

export function resolveScript(runbooksDir: string | undefined, name: string): string {
  const refuse = (message: string) =>
    ApplicationFailure.create({ type: 'ActionFailed', message: `script ${name}: ${message}`, nonRetryable: true });
  if (!runbooksDir) throw refuse('no runbooks folder is configured (set RUNBOOKS_DIR)');
  if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..'))
    throw refuse(`must be a path inside the runbooks folder ${runbooksDir} (no leading /, no ..)`);
  let root: string;
  try {
    root = fs.realpathSync(runbooksDir);
  } catch {
    throw refuse(`the runbooks folder ${runbooksDir} does not exist`);
  }
  let real: string;
  try {
    real = fs.realpathSync(path.join(root, name));
  } catch {
    throw refuse(`no such script in ${runbooksDir}`);
  }
  if (!real.startsWith(root + path.sep))
    throw refuse(`resolves to ${real}, outside the runbooks folder ${runbooksDir} (a symlink leading out is refused)`);
  const stat = fs.statSync(real);
  if (!stat.isFile()) throw refuse('is not a file');
  try {
    fs.accessSync(real, fs.constants.X_OK);
  } catch {
    throw refuse('is not executable (chmod +x it)');
  }
  return real;
}
