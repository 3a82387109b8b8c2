import fs from 'node:fs';
import path from 'node:path';
import { principalsFileSchema } from '../../api/auth/principals.js';
import { parseGuardrails, parsePolicy, PlaybookCatalog, readConfigFile } from './catalog.js';
import { validateConfig } from './yaml-source.js';
import { ConfigFileError, ConfigFilesError } from './config-file-error.js';
import { ConfigError } from '../../config/env.js';
import { loadRotation } from './oncall.js';

export interface ConfigPaths {
  playbooksDir: string;
  policyFile: string;
  guardrailsFile: string;
  /** Optional for the CLI: an engineer checking playbooks may not hold the gateway's principals file. */
  principalsFile?: string;
  /** The on-call rotation (ONCALL_FILE), when one is used. */
  oncallFile?: string;
}

/**
 * Check every configuration file the way the worker and the gateway load them, collecting every
 * problem of every file (file, field path, line) instead of stopping at the first. The
 * principals file is checked for its shape only: the signing secrets it names are environment
 * variables of the gateway's host, not of the machine running the check.
 */
export function checkConfigFiles(paths: ConfigPaths): { checked: string[]; problems: string[]; located: Located[] } {
  const checked: string[] = [];
  const problems: string[] = [];
  const located: Located[] = [];
  const check = (what: string, run: () => unknown) => {
    checked.push(what);
    try {
      run();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.message.split('\n'));
      located.push(...locate(err));
    }
  };
  check(`${paths.playbooksDir}/ (${countYaml(paths.playbooksDir)} playbooks)`, () =>
    PlaybookCatalog.load(paths.playbooksDir),
  );
  check(paths.policyFile, () => parsePolicy(readConfigFile(paths.policyFile), paths.policyFile));
  // As in the worker: no guardrails file means no standing rules.
  if (fs.existsSync(paths.guardrailsFile))
    check(paths.guardrailsFile, () => parseGuardrails(readConfigFile(paths.guardrailsFile), paths.guardrailsFile));
  if (paths.principalsFile) {
    const file = paths.principalsFile;
    check(file, () => validateConfig(principalsFileSchema, readConfigFile(file), file));
  }
  if (paths.oncallFile) {
    const file = paths.oncallFile;
    check(file, () => loadRotation(file));
  }
  return { checked, problems, located };
}

/** One problem with its file and line kept apart, for `file:line: message` output (the CLI). */
export interface Located {
  file?: string;
  line?: number;
  path?: string;
  message: string;
}

function locate(err: ConfigError): Located[] {
  const files = err instanceof ConfigFilesError ? err.errors : err instanceof ConfigFileError ? [err] : [];
  if (!files.length) return err.message.split('\n').map((message) => ({ message }));
  return files.flatMap((f) =>
    f.problems.map((p) => ({ file: f.file, line: p.line, path: p.path || undefined, message: p.message })),
  );
}

function countYaml(dir: string): number {
  try {
    return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(path.basename(f))).length;
  } catch {
    return 0;
  }
}
