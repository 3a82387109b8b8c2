import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { playbookSchema, selectPlaybook, type Playbook } from '../../domain/playbook/playbook.js';
import { policySchema, type Policy } from '../../domain/policy/policy.js';
import { guardrailsFileSchema, type Rule } from '../../domain/guardrails/controls.js';
import { ConfigFileError, ConfigFilesError } from './config-file-error.js';
import { validateConfig } from './yaml-source.js';

/** A playbook, policy or guardrails file that cannot be used (names the file). */
export { ConfigFileError as PlaybookError };

/** Parse a configuration file's YAML; a syntax error is a ConfigFileError naming the file. */
export function parseYaml(source: string, file: string): unknown {
  try {
    return parse(source);
  } catch (err) {
    throw new ConfigFileError(file, `not valid YAML: ${(err as Error).message}`);
  }
}

/** Parse and validate one playbook file; the error names the file and every failing field, with its line. */
export function parsePlaybook(source: string, file: string): Playbook {
  return validateConfig(playbookSchema, source, file);
}

export function parsePolicy(source: string, file: string): Policy {
  return validateConfig(policySchema, source, file, { empty: {} });
}

export function loadPolicy(file: string): Policy {
  return parsePolicy(readConfigFile(file), file);
}

/**
 * The playbooks a worker offers, read from a directory of YAML files. Loading is all-or-nothing:
 * one invalid file refuses the whole set, so a typo never silently drops a playbook. `refresh()`
 * re-reads the directory when a file changed; a broken edit keeps the previous set in service.
 */
export class PlaybookCatalog {
  private constructor(
    private readonly dir: string,
    private playbooks: Playbook[],
    private signature: string,
  ) {}

  /** Told the outcome of every reload that found a change: nothing (accepted) or what was refused. */
  private onReload: (error?: ConfigFileError | ConfigFilesError) => void = () => undefined;

  static fromDirectory(dir: string, onReload?: (error?: ConfigFileError | ConfigFilesError) => void): PlaybookCatalog {
    const catalog = new PlaybookCatalog(dir, PlaybookCatalog.load(dir), PlaybookCatalog.signatureOf(dir));
    if (onReload) catalog.onReload = onReload;
    return catalog;
  }

  static load(dir: string): Playbook[] {
    if (!fs.existsSync(dir)) throw new ConfigFileError(dir, 'the playbook directory does not exist');
    const files = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    // Every file is checked, so one run names every problem in every file.
    const errors: ConfigFileError[] = [];
    const playbooks: Playbook[] = [];
    const ids = new Map<string, string>();
    for (const f of files) {
      const file = path.join(dir, f);
      try {
        const p = parsePlaybook(readConfigFile(file), file);
        const first = ids.get(p.id);
        if (first) errors.push(new ConfigFileError(file, `playbook id "${p.id}" is already defined in ${first}`));
        ids.set(p.id, file);
        playbooks.push(p);
      } catch (err) {
        if (!(err instanceof ConfigFileError)) throw err;
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new ConfigFilesError(errors);
    return playbooks;
  }

  private static signatureOf(dir: string): string {
    return fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => {
        const st = fs.statSync(path.join(dir, f));
        return `${f}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
  }

  /** Reload if the directory changed. Returns what was wrong when the new files are refused. */
  refresh(): string | undefined {
    const signature = PlaybookCatalog.signatureOf(this.dir);
    if (signature === this.signature) return undefined;
    // Taken as seen even when refused: the same broken files are reported once, not on every check.
    this.signature = signature;
    try {
      this.playbooks = PlaybookCatalog.load(this.dir);
      this.onReload();
      return undefined;
    } catch (err) {
      if (!(err instanceof ConfigFileError || err instanceof ConfigFilesError)) throw err;
      this.onReload(err);
      return err.message;
    }
  }

  select(labels: Record<string, string>): Playbook | undefined {
    return selectPlaybook(this.playbooks, labels);
  }

  get all(): readonly Playbook[] {
    return this.playbooks;
  }
}

/** Standing exclusion rules (config/guardrails.yaml), validated like playbooks. */
export function parseGuardrails(source: string, file: string): Array<Omit<Rule, 'source'>> {
  return validateConfig(guardrailsFileSchema, source, file, { empty: {} }).rules;
}

export function loadGuardrails(file: string): Array<Omit<Rule, 'source'>> {
  return fs.existsSync(file) ? parseGuardrails(readConfigFile(file), file) : [];
}

/** Read a configuration file; a missing or unreadable one is a ConfigFileError naming it. */
export function readConfigFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(
      file,
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read: ${(err as Error).message}`,
    );
  }
}
