import type { z } from 'zod';
import { ConfigError } from '../../config/env.js';
import { describeIssues } from '../../domain/response/inputs.js';

/**
 * A configuration file that cannot be used: which file, where in it, and what is wrong. A
 * ConfigError, so entry points print the message (no stack) and stop.
 */
export class ConfigFileError extends ConfigError {
  override name = 'ConfigFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }

  /** Every schema issue with its path in the file: `<file>: <path>: <message>; …`. */
  static fromZod(file: string, error: z.ZodError): ConfigFileError {
    return new ConfigFileError(file, describeIssues(error));
  }
}
