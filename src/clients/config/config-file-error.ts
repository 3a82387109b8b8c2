import type { z } from 'zod';
import { ConfigError } from '../../config/env.js';
import { describeIssues } from '../../domain/response/inputs.js';

/** One thing wrong in a configuration file: where (field path, line) and what. */
export interface ConfigProblem {
  /** Dotted path of the field (`steps.0.params.command`); empty for the file as a whole. */
  path: string;
  /** 1-based line in the file, when the problem can be placed. */
  line?: number;
  message: string;
}

/** `path: message (line N)`: the path first, as before lines were known, so existing greps keep working. */
export function describeProblem(p: ConfigProblem): string {
  return `${p.path ? `${p.path}: ` : ''}${p.message}${p.line !== undefined ? ` (line ${p.line})` : ''}`;
}

/**
 * A configuration file that cannot be used: which file, and every problem in it (where in it,
 * and what is wrong), one per line of the message, so an operator fixes them all in one go. A
 * ConfigError, so entry points print the message (no stack) and stop.
 */
export class ConfigFileError extends ConfigError {
  override name = 'ConfigFileError';
  readonly problems: ConfigProblem[];
  constructor(
    readonly file: string,
    problems: string | ConfigProblem[],
  ) {
    const list = typeof problems === 'string' ? [{ path: '', message: problems }] : problems;
    super(list.map((p) => `${file}: ${describeProblem(p)}`).join('\n'));
    this.problems = list;
  }

  /** What is wrong, without the file name (`; ` between problems). */
  get problem(): string {
    return this.problems.map(describeProblem).join('; ');
  }

  /** Every schema issue with its path in the file (no line numbers: see validateConfig for those). */
  static fromZod(file: string, error: z.ZodError): ConfigFileError {
    return new ConfigFileError(file, describeIssues(error));
  }
}

/** Several files refused at once (a playbook directory): every problem of every file. */
export class ConfigFilesError extends ConfigError {
  override name = 'ConfigFilesError';
  constructor(readonly errors: ConfigFileError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}
