import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A process this script started, so it (and only it) is stopped again. */
export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** Signal the whole process group at once, without waiting (SIGKILL: a crash, for fault tests). */
  signal(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export class StackError extends Error {
  override name = 'StackError';
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Start a long-running server in its own process group with output appended to a log file.
 * A process group lets stop() take down whatever the command itself spawned (the OpenSearch
 * launcher script starts a JVM).
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: SpawnOptions & {
    /** What asks it to stop (PostgreSQL: SIGINT, a fast shutdown that does not wait for clients to leave). */
    stopSignal?: NodeJS.Signals;
  } = {},
): ManagedProcess {
  const { stopSignal = 'SIGTERM', ...spawnOptions } = options;
  const log = fs.openSync(logFile, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} starting ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  if (child.pid === undefined) throw new StackError(`${name}: could not start ${command}`);
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return {
    name,
    pid,
    logFile,
    exited,
    signal(signal) {
      signalGroup(pid, signal);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, stopSignal);
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 20_000))),
      ]);
      // A pending 20 s timer would keep the caller's process alive after everything stopped.
      clearTimeout(timer);
      if (!stopped) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Poll `probe` until it succeeds; fail early if the process died, with the log's tail so the
 * user sees why without hunting for the file.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new StackError(
        `${proc.name} exited with code ${exitCode} while starting. Log: ${proc.logFile}\n${tail(proc.logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  await proc.stop();
  throw new StackError(
    `${proc.name} did not become ready within ${timeoutMs / 1000}s. Log: ${proc.logFile}\n${tail(proc.logFile)}`,
  );
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Run a command to completion, streaming nothing; reject with its output on failure. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (err) =>
      reject(new StackError(`${command} could not be run (${err.message}). Is it installed and on PATH?`)),
    );
    // 'close', not 'exit': 'exit' may come before the output is read, and an empty `id -u`
    // read as Number('') would be uid 0, running the server as root.
    child.once('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new StackError(`${command} ${args.join(' ')} failed (exit ${code}):\n${output.slice(-3000)}`)),
    );
  });
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
