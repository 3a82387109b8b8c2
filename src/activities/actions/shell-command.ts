import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionResultOf, ShellCommandParams } from '../../domain/playbook/actions.js';
import { keepHeartbeating } from './heartbeat.js';
import { guardProcessGroup } from './process-guardian.js';

export type { ShellCommandParams };
export type ShellCommandResult = ActionResultOf<'shell.command'>;

const OUTPUT_TAIL_CHARS = 4096;
/** How long a stopped command gets to exit after SIGTERM before its whole process group gets SIGKILL. */
const KILL_GRACE_MS = 2000;
/** After the command exits, how long to wait for its output pipes to drain (a background child may hold them open). */
const DRAIN_MS = 250;

type Outcome =
  | {
      kind: 'exited' | 'cancelled' | 'timedOut';
      exitCode: number;
      signal: NodeJS.Signals | null;
      stdout: string;
      stderr: string;
    }
  | { kind: 'spawnError'; error: NodeJS.ErrnoException };

/**
 * Run one runbook command for a playbook step. Stopping must be fast and complete: we heartbeat while it
 * runs (cancellation only reaches an activity through a heartbeat response), and on cancellation or timeout
 * we signal the command's whole process group, so whatever it started dies with it. `stop` is the
 * activity's cancellation and a guardrail's interruption; when it fires, its reason is what this throws.
 */
export async function performShellCommand(
  params: ShellCommandParams,
  stop: AbortSignal = Context.current().cancellationSignal,
): Promise<ShellCommandResult> {
  const ctx = Context.current();
  const [executable, ...args] = params.command;
  if (!executable) {
    throw ApplicationFailure.create({ type: 'ActionFailed', message: 'the command is empty', nonRetryable: true });
  }
  // Do not start something we would have to stop straight away.
  if (stop.aborted) throw stop.reason;

  const started = Date.now();
  const stopHeartbeating = keepHeartbeating(ctx);
  try {
    const outcome = await runChild(executable, args, params, stop);
    if (outcome.kind === 'spawnError') throw spawnFailure(executable, params.cwd, outcome.error);

    const result: ShellCommandResult = {
      exitCode: outcome.exitCode,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      durationMs: Date.now() - started,
    };
    if (outcome.kind === 'cancelled') throw stop.reason;
    if (outcome.kind === 'timedOut') {
      throw ApplicationFailure.create({
        type: 'ActionTimedOut',
        message: `${executable} timed out after ${params.timeout} ms`,
        details: [result],
        nonRetryable: false,
      });
    }
    if (outcome.signal !== null) {
      throw ApplicationFailure.create({
        type: 'ActionFailed',
        message: `${executable} was killed by ${outcome.signal}`,
        details: [result],
        // Same as a failing exit: we cannot know how far a mitigation got, so do not run it again blindly.
        nonRetryable: true,
      });
    }
    if (outcome.exitCode !== 0) {
      throw ApplicationFailure.create({
        type: 'ActionFailed',
        message: `${executable} exited with code ${outcome.exitCode}`,
        details: [result],
        // The command ran and said no; running it again is a decision for a person or the playbook.
        nonRetryable: true,
      });
    }
    return result;
  } finally {
    stopHeartbeating();
  }
}

function runChild(
  executable: string,
  args: string[],
  params: ShellCommandParams,
  cancellation: AbortSignal,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const child = spawn(executable, args, {
      cwd: params.cwd,
      // Only PATH from the worker: its environment may hold credentials the runbook has no business seeing.
      env: { PATH: process.env.PATH ?? '', ...params.env },
      // Own process group, so one kill(-pid) reaches everything the command started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Killed with the worker if the worker dies first (see process-guardian.ts).
    const release = child.pid === undefined ? () => undefined : guardProcessGroup(child.pid);
    const stdout = collectTail(child.stdout);
    const stderr = collectTail(child.stderr);

    let stopping: 'cancelled' | 'timedOut' | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const stop = (why: 'cancelled' | 'timedOut') => {
      const pid = child.pid;
      if (exited || stopping || pid === undefined) return;
      stopping = why;
      signalGroup(pid, 'SIGTERM');
      // Not cleared when the command exits: a grandchild that ignores SIGTERM must still die.
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => stop('cancelled');
    const timeoutTimer = setTimeout(() => stop('timedOut'), params.timeout);
    cancellation.addEventListener('abort', onAbort, { once: true });

    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      release();
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      cancellation.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const finish = () => {
      if (!exited) return;
      const { code, signal } = exited;
      settle({
        kind: stopping ?? 'exited',
        exitCode: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0),
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
      });
    };

    // Without a pid the process never started (ENOENT, EACCES, missing cwd); no 'exit' will follow.
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) settle({ kind: 'spawnError', error });
    });
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      clearTimeout(timeoutTimer);
      cancellation.removeEventListener('abort', onAbort);
      // Everything is gone already: drop the SIGKILL, so it cannot hit a later group that reuses the id.
      if (killTimer && child.pid !== undefined && !groupAlive(child.pid)) clearTimeout(killTimer);
      // A background process the command left behind may keep the pipes open; do not wait for it forever.
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, DRAIN_MS);
    });
    // All output read and the command exited.
    child.once('close', finish);
  });
}

/** Keep only the end of a stream, so a chatty command cannot fill the worker's memory. */
function collectTail(stream: Readable): { text(): string } {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > 2 * OUTPUT_TAIL_CHARS) buffered = buffered.slice(-OUTPUT_TAIL_CHARS);
  });
  return { text: () => buffered.slice(-OUTPUT_TAIL_CHARS) };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone. EPERM: nothing in it is ours to signal any more.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function spawnFailure(executable: string, cwd: string | undefined, error: NodeJS.ErrnoException): ApplicationFailure {
  // Node reports a missing working directory as ENOENT on the executable; say which one it really was.
  const message =
    error.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)
      ? `cannot run ${executable}: working directory ${cwd} does not exist`
      : error.code === 'ENOENT'
        ? `cannot run ${executable}: no such executable`
        : `cannot run ${executable}: ${error.message}`;
  // A missing or unrunnable program will not appear by trying again.
  return ApplicationFailure.create({ type: 'ActionFailed', message, nonRetryable: true });
}
