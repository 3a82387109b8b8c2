import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { log } from '@temporalio/activity';

/**
 * The commands shell mitigations start must not outlive the worker. When a worker is killed
 * outright (SIGKILL, the OOM killer, its machine gone), it runs no code of its own, and the
 * command (started in a process group of its own so a stop reaches all of it) would go on
 * changing production with nobody watching, while the response asks a person what to do.
 *
 * Why not `setpriv --pdeathsig KILL` (util-linux) in front of each command: the kernel sends the
 * parent-death signal only to the direct child and clears it in every fork, so whatever the
 * command itself started (a script's kubectl, a backgrounded job) would be orphaned and run on.
 *
 * So one guardian per worker: a small process holding the read end of a pipe whose only writer is
 * the worker. The worker writes `+<pgid>` when a command starts and `-<pgid>` when it is over.
 * However the worker dies, the kernel closes its end; the guardian reads end-of-file and sends
 * SIGKILL to every process group still listed, then exits. It is its own process group and
 * ignores SIGINT, SIGTERM and SIGHUP (a Ctrl-C reaches a whole terminal group), so it always
 * outlives the worker. It is plain Node, so it runs wherever the worker runs.
 */
const GUARDIAN = `
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
const groups = new Set();
let pending = '';
const reap = () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let i;
  while ((i = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    const g = Number(line.slice(1));
    if (!Number.isInteger(g) || g <= 1) continue;
    if (line[0] === '+') groups.add(g); else groups.delete(g);
  }
});
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

let guardian: ChildProcess | undefined;

function ensureGuardian(): ChildProcess | undefined {
  if (guardian && guardian.exitCode === null && guardian.signalCode === null && guardian.stdin?.writable)
    return guardian;
  try {
    const child = spawn(process.execPath, ['-e', GUARDIAN], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', (err) => log.warn('process guardian failed', { error: err.message }));
    child.stdin!.on('error', () => undefined);
    // Neither the guardian nor its pipe may keep the worker alive when it shuts down normally.
    child.unref();
    (child.stdin as unknown as Socket).unref();
    guardian = child;
    return child;
  } catch (err) {
    log.warn('process guardian could not start: commands would outlive a killed worker', {
      error: (err as Error).message,
    });
    return undefined;
  }
}

/** Have this process group killed if the worker dies before `release` is called. */
export function guardProcessGroup(pgid: number): () => void {
  const g = ensureGuardian();
  g?.stdin?.write(`+${pgid}\n`);
  return () => {
    if (g === guardian && g?.stdin?.writable) g.stdin.write(`-${pgid}\n`);
  };
}
