import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  performShellCommand,
  type ShellCommandParams,
  type ShellCommandResult,
} from '../../src/activities/actions/shell-command.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'interlock-shell-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Any process a test started and must not leave behind, killed in afterEach if an assertion failed first. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

/** The SDK logs every failed activity as a warning; these tests fail activities on purpose. */
const quiet = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

function run(
  params: Partial<ShellCommandParams> & Pick<ShellCommandParams, 'command'>,
  env = quiet(),
): Promise<ShellCommandResult> {
  return env.run(performShellCommand, { env: {}, timeout: 10_000, ...params });
}

/**
 * Gone, or a zombie: an orphaned grandchild is reaped by PID 1, and some container inits only reap every
 * couple of seconds. A zombie runs nothing and holds nothing, so for "was it killed" it counts as gone.
 */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // vanished between the two checks
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pids a script wrote to a file, once it has written them. */
function pidsIn(file: string, count: number): number[] | undefined {
  try {
    const pids = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return pids.length === count && pids.every((p) => Number.isInteger(p) && p > 0) ? pids : undefined;
  } catch {
    return undefined;
  }
}

describe('performShellCommand', () => {
  it('returns exit code 0 and the output of a command that succeeds', async () => {
    const result = await run({ command: ['/bin/echo', 'hello', '$(whoami)'] });
    // Arguments reach the program as they are: no shell expands them.
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hello $(whoami)\n', stderr: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps only the last 4096 characters of each output stream', async () => {
    const result = await run({
      command: [
        '/bin/sh',
        '-c',
        'i=0; while [ $i -lt 1000 ]; do echo 0123456789; echo abcdefghij >&2; i=$((i+1)); done; echo END; echo ERR-END >&2',
      ],
    });
    expect(result.stdout).toHaveLength(4096);
    expect(result.stdout.endsWith('0123456789\nEND\n')).toBe(true);
    expect(result.stderr).toHaveLength(4096);
    expect(result.stderr.endsWith('abcdefghij\nERR-END\n')).toBe(true);
  });

  it('rejects a non-zero exit as a non-retryable ActionFailed naming the code', async () => {
    const failure = await run({ command: ['/bin/sh', '-c', 'echo partial; echo oops >&2; exit 3'] }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ActionFailed', nonRetryable: true, message: '/bin/sh exited with code 3' });
    expect((failure as ApplicationFailure).details?.[0]).toMatchObject({
      exitCode: 3,
      stdout: 'partial\n',
      stderr: 'oops\n',
    });
  });

  it('rejects a missing executable as a non-retryable ActionFailed naming it', async () => {
    const failure = await run({ command: ['/nonexistent/interlock-no-such-tool', '--help'] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ActionFailed', nonRetryable: true });
    expect((failure as Error).message).toContain('/nonexistent/interlock-no-such-tool');
  });

  it('says so when the working directory is what is missing', async () => {
    const failure = await run({ command: ['/bin/echo', 'x'], cwd: join(dir, 'no-such-dir') }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'ActionFailed', nonRetryable: true });
    expect((failure as Error).message).toMatch(/working directory .*no-such-dir does not exist/);
  });

  it('gives the child PATH and params.env, and nothing else from the worker', async () => {
    process.env.INTERLOCK_TEST_SECRET = 'x';
    try {
      const result = await run({ command: ['/usr/bin/env'], env: { TARGET: 'db-1', REASON: 'lag; rm -rf /' } });
      const lines = result.stdout.split('\n').filter(Boolean);
      expect(lines).toContain('TARGET=db-1');
      expect(lines).toContain('REASON=lag; rm -rf /');
      expect(lines).toContain(`PATH=${process.env.PATH}`);
      expect(result.stdout).not.toContain('INTERLOCK_TEST_SECRET');
    } finally {
      delete process.env.INTERLOCK_TEST_SECRET;
    }
  });

  it('heartbeats while the command runs', async () => {
    const env = quiet();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    // Alone on its worker, an action beats every 100 ms (the shared budget only slows it when many run).
    await run({ command: ['/bin/sleep', '1'] }, env);
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it('on cancellation kills the whole process group and rethrows the cancellation', { timeout: 15_000 }, async () => {
    const pidFile = join(dir, 'cancel.pid');
    const env = quiet();
    const t0 = Date.now();
    const outcome = run({ command: ['/bin/sh', '-c', `sleep 30 & echo $$ $! > ${pidFile}; wait`] }, env).then(
      () => ({ rejected: false as const, at: Date.now() }),
      (error: unknown) => ({ rejected: true as const, error, at: Date.now() }),
    );
    const [shell, grandchild] = await waitFor('the script to write its pids', () => pidsIn(pidFile, 2), 5_000);
    started.push(shell!, grandchild!);

    env.cancel();
    const settled = await outcome;
    expect(settled.rejected).toBe(true);
    expect(settled.rejected && settled.error).toBeInstanceOf(CancelledFailure);
    expect(settled.at - t0).toBeLessThan(5_000);

    // The shell is our child and reaped at once; the grandchild was only reachable through its group.
    expect(isGone(shell!)).toBe(true);
    await waitFor('the grandchild sleep to die', () => (isGone(grandchild!) ? true : undefined), 3_000);
  });

  it(
    'on timeout kills the whole process group and rejects with a retryable ActionTimedOut',
    { timeout: 15_000 },
    async () => {
      const pidFile = join(dir, 'timeout.pid');
      const t0 = Date.now();
      const failure = await run({
        command: ['/bin/sh', '-c', `sleep 30 & echo $$ $! > ${pidFile}; wait`],
        timeout: 300,
      }).catch((e: unknown) => e);
      const elapsed = Date.now() - t0;
      const pids = pidsIn(pidFile, 2);
      started.push(...(pids ?? []));

      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'ActionTimedOut', nonRetryable: false });
      expect((failure as Error).message).toContain('timed out after 300 ms');
      expect(elapsed).toBeLessThan(5_000);
      expect(pids).toBeDefined();
      await waitFor('the command and its child to die', () => (pids!.every(isGone) ? true : undefined), 3_000);
    },
  );

  it('SIGKILLs the group 2 s after SIGTERM when the command ignores SIGTERM', { timeout: 15_000 }, async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const t0 = Date.now();
    // An ignored signal stays ignored across fork and exec, so the sleep ignores SIGTERM too.
    const failure = await run({
      command: ['/bin/sh', '-c', `trap '' TERM; sleep 30 & echo $$ $! > ${pidFile}; wait`],
      timeout: 300,
    }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    const pids = pidsIn(pidFile, 2);
    started.push(...(pids ?? []));

    expect(failure).toMatchObject({ type: 'ActionTimedOut' });
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(5_000);
    await waitFor('the command and its child to die', () => (pids!.every(isGone) ? true : undefined), 3_000);
  });

  it('does not start a command once the activity is cancelled', async () => {
    const pidFile = join(dir, 'never.pid');
    const env = quiet();
    env.cancel();
    await expect(run({ command: ['/bin/sh', '-c', `echo $$ > ${pidFile}`] }, env)).rejects.toBeInstanceOf(
      CancelledFailure,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(pidsIn(pidFile, 1)).toBeUndefined();
  });
});
