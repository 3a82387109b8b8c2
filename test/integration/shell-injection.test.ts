import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';

/**
 * Alert labels carrying shell syntax reach real shell steps, run by the real worker from a real
 * response, as an argument ("$1") and in the environment ("$PAYLOAD"). Nothing they contain may
 * run: every "attack" aims at a file in this test's own temporary directory, and the value must
 * arrive byte for byte.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-injection-'));
const victim = path.join(work, 'victim');

const PAYLOADS: Record<string, string> = {
  substitution: `$(touch ${work}/pwned-substitution)`,
  semicolon: `x; rm -rf ${victim}; touch ${work}/pwned-semicolon`,
  backticks: `\`touch ${work}/pwned-backticks\``,
  newline: `line one\ntouch ${work}/pwned-newline\n`,
  mixed: `'"; touch ${work}/pwned-quote #\` && $(id) | cat > ${work}/pwned-pipe`,
};

let h: Harness;
let r: ReturnType<typeof responses>;

beforeAll(async () => {
  h = await startHarness({
    playbooks: {
      'echo.yaml': `
id: echo-labels
version: 1
match: { labels: { alertname: ShellInjection } }
steps:
  - id: as-argument
    kind: diagnostic
    action: shell.command
    params:
      command: [/bin/sh, -c, 'printf "%s" "$1" > "$OUT/$2.argv"', sh, "{{labels.payload}}", "{{labels.case}}"]
      env: { OUT: "${work}" }
      timeout: 10s
  - id: in-env
    kind: diagnostic
    action: shell.command
    params:
      command: [bash, -c, 'printf "%s" "$PAYLOAD" > "$OUT/$CASE.env"']
      env: { OUT: "${work}", PAYLOAD: "{{labels.payload}}", CASE: "{{labels.case}}" }
      timeout: 10s
`,
    },
    policy: 'default: { mode: auto }',
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('alert labels with shell syntax in shell steps', () => {
  it.each(Object.keys(PAYLOADS))(
    '%s: arrives intact as an argument and in env; nothing injected runs',
    async (name) => {
      fs.mkdirSync(victim, { recursive: true });
      const payload = PAYLOADS[name]!;
      const id = await r.open(`inject-${name}`, { labels: { alertname: 'ShellInjection', case: name, payload } });
      expect((await r.result(id)).phase).toBe('completed');
      const s = await r.status(id);
      expect(s.steps.map((x: any) => x.state)).toEqual(['succeeded', 'succeeded']);

      expect(fs.readFileSync(path.join(work, `${name}.argv`), 'utf8')).toBe(payload);
      expect(fs.readFileSync(path.join(work, `${name}.env`), 'utf8')).toBe(payload);
      expect(fs.readdirSync(work).filter((f) => f.startsWith('pwned'))).toEqual([]);
      expect(fs.existsSync(victim)).toBe(true);
    },
  );

  it('a playbook that splices a label into sh -c is refused: the worker keeps the last good set and runs nothing of it', async () => {
    fs.writeFileSync(
      path.join(h.playbookDir, 'splice.yaml'),
      `
id: splice
version: 1
match: { labels: { alertname: ShellSplice } }
steps:
  - id: run
    kind: diagnostic
    action: shell.command
    params: { command: [sh, -c, "echo {{labels.payload}} > ${work}/spliced"] }
`,
    );
    const id = await r.open('splice', {
      labels: { alertname: 'ShellSplice', payload: `$(touch ${work}/pwned-splice)` },
    });
    expect(await r.result(id)).toEqual({ phase: 'no-playbook', stepsRun: [] });
    expect(fs.readdirSync(work).filter((f) => f.startsWith('pwned') || f === 'spliced')).toEqual([]);
    // The good playbook is still in service beside the refused file.
    const ok = await r.open('after-splice', { labels: { alertname: 'ShellInjection', case: 'after', payload: 'ok' } });
    expect((await r.result(ok)).phase).toBe('completed');
    fs.rmSync(path.join(h.playbookDir, 'splice.yaml'));
  });
});
