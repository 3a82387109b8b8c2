import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { playbookSchema, selectPlaybook, type Playbook } from '../../domain/playbook/playbook.js';
import { describeIssues } from '../../domain/response/inputs.js';

export class PlaybookError extends Error {
  override name = 'PlaybookError';
}

/** Parse and validate one playbook file; the error names the file and the failing field. */
export function parsePlaybook(source: string, file: string): Playbook {
  let raw: unknown;
  try {
    raw = parse(source);
  } catch (err) {
    throw new PlaybookError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = playbookSchema.safeParse(raw);
  if (!parsed.success) throw new PlaybookError(`${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * The playbooks a worker offers, read from a directory of YAML files. Loading is all-or-nothing:
 * one invalid file refuses the whole set, so a typo never silently drops a playbook.
 */
export class PlaybookCatalog {
  private constructor(private playbooks: Playbook[]) {}

  static fromDirectory(dir: string): PlaybookCatalog {
    return new PlaybookCatalog(PlaybookCatalog.load(dir));
  }

  static load(dir: string): Playbook[] {
    if (!fs.existsSync(dir)) throw new PlaybookError(`playbook directory ${dir} does not exist`);
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    const playbooks = files.map((f) => parsePlaybook(fs.readFileSync(path.join(dir, f), 'utf8'), f));
    const ids = new Set<string>();
    for (const p of playbooks) {
      if (ids.has(p.id)) throw new PlaybookError(`playbook id "${p.id}" is defined twice in ${dir}`);
      ids.add(p.id);
    }
    return playbooks;
  }

  select(labels: Record<string, string>): Playbook | undefined {
    return selectPlaybook(this.playbooks, labels);
  }

  get all(): readonly Playbook[] {
    return this.playbooks;
  }
}
