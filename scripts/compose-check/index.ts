import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, StackError, which } from '../stack/process.js';
import { cacheDir } from '../stack/profiles.js';

/**
 * compose-check (main.go beside this file) validates Compose files with compose-go, the loader
 * Docker Compose v2 itself uses: the Compose specification's JSON schema, then the project model.
 * Built once into the stack cache; the binary's name carries a hash of its sources, so a changed
 * program is rebuilt and an unchanged one is reused by every later run (CI included).
 */
const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const SOURCES = ['main.go', 'go.mod', 'go.sum'];

export function composeCheckPath(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES) hash.update(file).update(fs.readFileSync(path.join(sourceDir, file)));
  return path.join(cacheDir(), 'bin', `compose-check-${hash.digest('hex').slice(0, 16)}`);
}

/** The binary, built with `go build` if the cache does not hold this version yet. */
export async function ensureComposeCheck(log: (msg: string) => void = () => undefined): Promise<string> {
  const binary = composeCheckPath();
  if (fs.existsSync(binary)) return binary;
  if (!which('go'))
    throw new StackError('compose-check needs a Go toolchain (>= 1.25) to build once: https://go.dev/doc/install');
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  log(`Building compose-check into ${binary} (first run only)...`);
  // Build beside the final name, then rename: a concurrent run never sees half a binary.
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await run('go', ['build', '-trimpath', '-o', partial, '.'], {
      cwd: sourceDir,
      // -mod=readonly: go.sum pins every module; a build never edits the project's files.
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly`.trim() },
    });
    fs.renameSync(partial, binary);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return binary;
}

export interface ComposeCheckResult {
  ok: boolean;
  /** The loaded, normalized project (compose-go's model as JSON) when ok. */
  project?: any;
  /** compose-go's error when not ok. */
  error?: string;
}

/** Load these Compose files as Docker Compose would; never throws for an invalid file. */
export function checkComposeFiles(
  binary: string,
  files: string[],
  env: NodeJS.ProcessEnv = process.env,
): ComposeCheckResult {
  const out = spawnSync(binary, files, { encoding: 'utf8', env });
  if (out.error) throw out.error;
  if (out.status === 0) return { ok: true, project: JSON.parse(out.stdout) };
  return { ok: false, error: out.stderr.trim() || `exit ${out.status}` };
}
