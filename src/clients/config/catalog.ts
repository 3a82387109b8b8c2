import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { playbookSchema, selectPlaybook, type Playbook } from '../../domain/playbook/playbook.js';
import { policySchema, type Policy } from '../../domain/policy/policy.js';
import { guardrailsFileSchema, type Rule } from '../../domain/guardrails/controls.js';
import { ConfigFileError } from './config-file-error.js';

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

/** Parse and validate one playbook file; the error names the file and the failing field. */
export function parsePlaybook(source: string, file: string): Playbook {
  const parsed = playbookSchema.safeParse(parseYaml(source, file));
  if (!parsed.success) throw ConfigFileError.fromZod(file, parsed.error);
  return parsed.data;
}

export function parsePolicy(source: string, file: string): Policy {
  const parsed = policySchema.safeParse(parseYaml(source, file) ?? {});
  if (!parsed.success) throw ConfigFileError.fromZod(file, parsed.error);
  return parsed.data;
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

  static fromDirectory(dir: string): PlaybookCatalog {
    return new PlaybookCatalog(dir, PlaybookCatalog.load(dir), PlaybookCatalog.signatureOf(dir));
  }

  static load(dir: string): Playbook[] {
    if (!fs.existsSync(dir)) throw new ConfigFileError(dir, 'the playbook directory does not exist');
    const files = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    const playbooks = files.map((f) => parsePlaybook(fs.readFileSync(path.join(dir, f), 'utf8'), path.join(dir, f)));
    const ids = new Set<string>();
    for (const p of playbooks) {
      if (ids.has(p.id)) throw new ConfigFileError(dir, `playbook id "${p.id}" is defined twice`);
      ids.add(p.id);
    }
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
    try {
      this.playbooks = PlaybookCatalog.load(this.dir);
      this.signature = signature;
      return undefined;
    } catch (err) {
      return (err as Error).message;
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
  const parsed = guardrailsFileSchema.safeParse(parseYaml(source, file) ?? {});
  if (!parsed.success) throw ConfigFileError.fromZod(file, parsed.error);
  return parsed.data.rules;
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
