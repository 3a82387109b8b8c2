import fs from 'node:fs';
import path from 'node:path';
import { principalsFileSchema } from '../src/api/auth/principals.js';
import { parseGuardrails, parsePolicy, PlaybookCatalog, readConfigFile } from '../src/clients/config/catalog.js';
import { validateConfig } from '../src/clients/config/yaml-source.js';
import { ConfigError } from '../src/config/env.js';
import { loadRotation } from '../src/clients/config/oncall.js';

export interface ConfigPaths {
  playbooksDir: string;
  policyFile: string;
  guardrailsFile: string;
  principalsFile: string;
  /** The on-call rotation (ONCALL_FILE), when one is used. */
  oncallFile?: string;
}

/**
 * Check every configuration file the way the worker and the gateway load them, collecting every
 * problem of every file (file, field path, line) instead of stopping at the first. The
 * principals file is checked for its shape only: the signing secrets it names are environment
 * variables of the gateway's host, not of the machine running the check.
 */
export function checkConfigFiles(paths: ConfigPaths): { checked: string[]; problems: string[] } {
  const checked: string[] = [];
  const problems: string[] = [];
  const check = (what: string, run: () => unknown) => {
    checked.push(what);
    try {
      run();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.message.split('\n'));
    }
  };
  check(`${paths.playbooksDir}/ (${countYaml(paths.playbooksDir)} playbooks)`, () =>
    PlaybookCatalog.load(paths.playbooksDir),
  );
  check(paths.policyFile, () => parsePolicy(readConfigFile(paths.policyFile), paths.policyFile));
  // As in the worker: no guardrails file means no standing rules.
  if (fs.existsSync(paths.guardrailsFile))
    check(paths.guardrailsFile, () => parseGuardrails(readConfigFile(paths.guardrailsFile), paths.guardrailsFile));
  check(paths.principalsFile, () =>
    validateConfig(principalsFileSchema, readConfigFile(paths.principalsFile), paths.principalsFile),
  );
  if (paths.oncallFile) {
    const file = paths.oncallFile;
    check(file, () => loadRotation(file));
  }
  return { checked, problems };
}

function countYaml(dir: string): number {
  try {
    return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(path.basename(f))).length;
  } catch {
    return 0;
  }
}
