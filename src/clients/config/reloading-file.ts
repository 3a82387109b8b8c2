import fs from 'node:fs';
import { ConfigError } from '../../config/env.js';
import { ConfigFileError, ConfigFilesError, type ConfigProblem } from './config-file-error.js';

export interface ConfigFileStatus {
  file: string;
  ok: boolean;
  problems: ConfigProblem[];
  /** Since when the file is in this state (ISO time). */
  since: string;
}

/**
 * The state of the configuration files a running process reloads. A refused edit leaves the last
 * good version in service; this is where it is said which file, which line and what is wrong,
 * for the log (the listener), the metrics and the readiness detail.
 */
export class ConfigHealth {
  private readonly scopes = new Map<string, { key: string; statuses: ConfigFileStatus[] }>();

  constructor(private readonly onChange: (scope: string, statuses: ConfigFileStatus[]) => void = () => undefined) {}

  /** The outcome of (re)loading a file or a directory (`scope`): nothing wrong, or the files refused. */
  report(scope: string, error?: unknown): void {
    const errors =
      error instanceof ConfigFilesError
        ? error.errors
        : error instanceof ConfigFileError
          ? [error]
          : error
            ? [new ConfigFileError(scope, error instanceof ConfigError ? error.message : String(error))]
            : [];
    const key = JSON.stringify(errors.map((e) => [e.file, e.problems]));
    if (this.scopes.get(scope)?.key === key) return;
    const since = new Date().toISOString();
    const statuses = errors.length
      ? errors.map((e) => ({ file: e.file, ok: false, problems: e.problems, since }))
      : [{ file: scope, ok: true, problems: [], since }];
    const first = !this.scopes.has(scope);
    this.scopes.set(scope, { key, statuses });
    if (!first || errors.length) this.onChange(scope, statuses);
  }

  get files(): ConfigFileStatus[] {
    return [...this.scopes.values()].flatMap((s) => s.statuses);
  }

  get ok(): boolean {
    return this.files.every((f) => f.ok);
  }
}

/**
 * A configuration file read at start (a bad one stops the process) and re-read whenever it
 * changes on disk. A change that does not parse or validate is refused: the last good version
 * stays in service, and `health` says what is wrong until the file is fixed.
 */
export class ReloadingConfigFile<T> {
  private signature: string;

  private constructor(
    readonly file: string,
    private readonly parse: (source: string, file: string) => T,
    private readonly options: ReloadOptions<T>,
    private value: T,
  ) {
    this.signature = signatureOf(file);
  }

  /** Throws the file's ConfigFileError (every problem in it) when it cannot be used at start. */
  static load<T>(file: string, parse: (source: string, file: string) => T, options: ReloadOptions<T> = {}) {
    const signature = signatureOf(file);
    const value = read(file, parse, options);
    const loaded = new ReloadingConfigFile(file, parse, options, value);
    loaded.signature = signature;
    options.health?.report(file);
    return loaded;
  }

  /** The version in service, re-read first if the file changed. */
  current(): T {
    this.check();
    return this.value;
  }

  /** Re-read the file if it changed; true when a new version was taken into service. */
  check(): boolean {
    const signature = signatureOf(this.file);
    if (signature === this.signature) return false;
    this.signature = signature;
    try {
      this.value = read(this.file, this.parse, this.options);
      this.options.health?.report(this.file);
      return true;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.options.health?.report(this.file, err);
      return false;
    }
  }
}

export interface ReloadOptions<T> {
  health?: ConfigHealth;
  /** The value of a missing file; without it, a missing file is an error. */
  missing?: () => T;
}

function read<T>(file: string, parse: (source: string, file: string) => T, options: ReloadOptions<T>): T {
  if (options.missing && !fs.existsSync(file)) return options.missing();
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read: ${(err as Error).message}`);
  }
  return parse(source, file);
}

/** Size, modification time and inode: an edit in place and an atomic replace both change it. */
function signatureOf(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
