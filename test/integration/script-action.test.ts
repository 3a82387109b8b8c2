import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';

/**
 * The `script` action kind, run by the real worker from real responses: a runbook from the
 * configured folder, with label values as arguments (an argument vector, never shell text), that
 * cannot be made to run anything outside the folder, and that dies when the response is stopped.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-runbooks-'));
const runbooks = path.join(work, 'runbooks');
const outside = path.join(work, 'outside');
const out = path.join(work, 'out');

function script(file: string, body: string, mode = 0o755) {
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode });
}

let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  for (const d of [runbooks, outside, out, path.join(runbooks, 'db')]) fs.mkdirSync(d, { recursive: true });
  // Each argument on its own, NUL-terminated, so spaces and newlines are visible as they arrived.
  script(path.join(runbooks, 'db', 'args.sh'), `printf '%s\\0' "$@" > "$OUT/args"`);
  script(
    path.join(runbooks, 'hang.sh'),
    `sleep 60 &\necho $! > "$OUT/sleep.pid"\necho $$ > "$OUT/hang.pid"\nwait\necho finished > "$OUT/hang.done"`,
  );
  script(path.join(runbooks, 'plain.txt'), 'echo not executable', 0o644);
  script(path.join(outside, 'evil.sh'), `touch "$OUT/pwned"`);
  script(path.join(work, 'x'), `touch "$OUT/pwned"`);
  fs.symlinkSync(path.join(outside, 'evil.sh'), path.join(runbooks, 'link.sh'));
  h = await startHarness({
    playbooks: {
      'script.yaml': `
id: run-runbook
version: 1
match: { labels: { alertname: Runbook } }
steps:
  - id: run
    kind: mitigation
    action: script
    params:
      name: "{{labels.script}}"
      args: ["{{labels.first}}", "{{labels.second}}", "fixed argument"]
      env: { OUT: "${out}" }
      timeout: 30s
`,
    },
    policy: 'default: { mode: auto }',
    actions: { runbooksDir: runbooks },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const ended = (s: any) => ['succeeded', 'failed', 'cancelled'].includes(s.steps[0]?.state);
const run = async (label: string, labels: Record<string, string>) => {
  const id = await r.open(label, { labels: { alertname: 'Runbook', first: '', second: '', ...labels } });
  return { id, status: await r.until(id, ended) };
};

describe('script action kind', () => {
  it('runs a runbook from the folder with its arguments verbatim (spaces, ;, $() are data)', async () => {
    const first = 'two words; touch pwned';
    const second = `$(touch ${out}/pwned) "quoted"\nnext line`;
    const { status } = await run('script-args', { script: 'db/args.sh', first, second });
    expect(status.steps[0].state, status.steps[0].error).toBe('succeeded');
    expect(fs.readFileSync(path.join(out, 'args'), 'utf8').split('\0')).toEqual([first, second, 'fixed argument', '']);
    expect(status.steps[0].output).toMatchObject({
      script: fs.realpathSync(path.join(runbooks, 'db', 'args.sh')),
      exitCode: 0,
    });
    expect(fs.existsSync(path.join(out, 'pwned'))).toBe(false);
  });

  it.each([
    ['../x', /script \.\.\/x: must be a path inside the runbooks folder/],
    ['/bin/true', /script \/bin\/true: must be a path inside the runbooks folder/],
    [
      'link.sh',
      /script link\.sh: resolves to .*outside\/evil\.sh, outside the runbooks folder .* \(a symlink leading out is refused\)/,
    ],
    ['plain.txt', /script plain\.txt: is not executable/],
    ['missing.sh', /script missing\.sh: no such script in /],
  ])('refuses %s with a clear error, and runs nothing', async (name, message) => {
    const { status } = await run(`script-refuse-${name.replace(/\W/g, '')}`, { script: name });
    expect(status.steps[0].state).toBe('failed');
    expect(status.steps[0].error).toMatch(message);
    expect(fs.existsSync(path.join(out, 'pwned'))).toBe(false);
  });

  it('an opt-out kills the running script (and what it started)', async () => {
    const id = await r.open('script-cancel', {
      labels: { alertname: 'Runbook', script: 'hang.sh', first: '', second: '' },
    });
    const pidFile = path.join(out, 'hang.pid');
    await r.until(id, () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const sleeper = Number(fs.readFileSync(path.join(out, 'sleep.pid'), 'utf8'));
    expect([alive(pid), alive(sleeper)]).toEqual([true, true]);
    const res = await r.post(id, 'opt-out', 'alice', { reason: 'doing it by hand' });
    expect(res.status).toBe(200);
    const s = await r.until(id, (x) => x.phase === 'opted-out' && ended(x), 10_000);
    expect(s.steps[0].state).not.toBe('succeeded');
    await waitUntil(() => !alive(pid) && !alive(sleeper), 5_000);
    expect(fs.existsSync(path.join(out, 'hang.done'))).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
