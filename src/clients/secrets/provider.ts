import fs from 'node:fs/promises';
import path from 'node:path';
import { SECRET_NAME } from '../../domain/secrets/references.js';

/**
 * Where the worker's activities find the values behind `{{secrets.NAME}}`, at the moment they act.
 * Nothing here caches: a rotated secret (a new file, a restarted process with a new variable) is
 * used from the next action on.
 */
export interface SecretProvider {
  /** The value, or a SecretUnavailableError naming the secret (never a value). */
  get(name: string): Promise<string>;
  /** Where values come from, for the worker's start-up log (no values). */
  readonly description: string;
}

export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailable';
  constructor(
    readonly secret: string,
    why: string,
  ) {
    super(`secret ${secret} is not available: ${why}`);
  }
}

export const SECRET_ENV_PREFIX = 'INTERLOCK_SECRET_';

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new SecretUnavailableError(name, 'not a valid secret name');
}

/** `INTERLOCK_SECRET_<NAME>` from the worker's environment. */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): SecretProvider {
  return {
    description: `environment variables ${SECRET_ENV_PREFIX}<NAME>`,
    async get(name) {
      checkName(name);
      const value = env[`${SECRET_ENV_PREFIX}${name}`];
      if (value === undefined) throw new SecretUnavailableError(name, `${SECRET_ENV_PREFIX}${name} is not set`);
      if (value === '') throw new SecretUnavailableError(name, `${SECRET_ENV_PREFIX}${name} is empty`);
      return value;
    },
  };
}

/**
 * One file per secret in a directory, named after the secret: how Kubernetes and Docker mount
 * secrets. One trailing newline is dropped (what `echo` and most editors leave behind).
 */
export function directorySecrets(dir: string): SecretProvider {
  return {
    description: `files in ${dir}`,
    async get(name) {
      // The name pattern has no '/' or '.', so the file is always directly inside dir.
      checkName(name);
      let value: string;
      try {
        value = await fs.readFile(path.join(dir, name), 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new SecretUnavailableError(
          name,
          code === 'ENOENT' ? `no file ${name} in ${dir}` : `cannot read ${path.join(dir, name)} (${code})`,
        );
      }
      value = value.replace(/\r?\n$/, '');
      if (value === '') throw new SecretUnavailableError(name, `${path.join(dir, name)} is empty`);
      return value;
    },
  };
}

/** The provider the worker's configuration chooses: a directory when SECRETS_DIR is set, else the environment. */
export function secretProviderFor(config: { SECRETS_DIR?: string }, env: NodeJS.ProcessEnv = process.env) {
  return config.SECRETS_DIR ? directorySecrets(config.SECRETS_DIR) : environmentSecrets(env);
}
