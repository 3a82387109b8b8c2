import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

// The real binary, as an engineer runs it: a child process talking to the harness's gateway.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'interlock.js');

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let home: string;

beforeAll(async () => {
  target = await startTargetServer();
  // A second playbook needing two approvers, so one person deciding twice meets the workflow's refusal.
  const quorum = restartPlaybook(target.url, { alertname: 'QuorumLag', approvers: 2 }).replace(
    'id: restart-replica\n',
    'id: restart-quorum\n',
  );
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url), 'quorum.yaml': quorum },
  });
  r = responses(h);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-cli-'));
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node bin/interlock.js …`; `as: null` runs without INTERLOCK_TOKEN (the stored token, if any). */
function start(args: string[], opts: { as?: Person | null; env?: NodeJS.ProcessEnv } = {}) {
  const { INTERLOCK_URL: _u, INTERLOCK_TOKEN: _t, ...env } = process.env;
  const as = opts.as === undefined ? 'bob' : opts.as;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {
      ...env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      INTERLOCK_URL: h.baseUrl,
      ...(as ? { INTERLOCK_TOKEN: h.tokens[as] } : {}),
      ...opts.env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}
const cli = (args: string[], opts?: { as?: Person | null; env?: NodeJS.ProcessEnv }) => start(args, opts).done;

async function openPending(label: string, labels?: Record<string, string>) {
  const incidentId = await r.open(label, { labels });
  await r.pendingApproval(incidentId);
  return incidentId;
}

describe('interlock login', () => {
  const credentials = () => path.join(home, 'xdg', 'interlock', 'credentials.json');

  it('refuses a token the gateway does not accept, and stores nothing', async () => {
    const run = await cli(['login', '--token', 'not-a-real-token'], { as: null });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/login refused, nothing stored/);
    expect(fs.existsSync(credentials())).toBe(false);
  });

  it('stores a good token with mode 0600 and uses it afterwards', async () => {
    const run = await cli(['login', '--token', h.tokens.alice], { as: null });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain(h.tokens.alice);
    expect(fs.statSync(credentials()).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(credentials(), 'utf8')).servers[h.baseUrl].token).toBe(h.tokens.alice);
    // No INTERLOCK_TOKEN: the stored one is used.
    const ls = await cli(['incidents', 'ls', '--json', '--limit', '1'], { as: null });
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toHaveProperty('incidents');
  });
});

describe('a response driven from the CLI', () => {
  let incidentId: string;

  it('lists the opened response and shows its pending approval', async () => {
    incidentId = await openPending('cli-approve');
    await vi.waitFor(
      async () => {
        const run = await cli(['incidents', 'ls', '--json', '--open', '--service', 'payments-db']);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout).incidents.map((i: { incidentId: string }) => i.incidentId)).toContain(incidentId);
      },
      { timeout: 15_000, interval: 300 },
    );
    const show = await cli(['incidents', 'show', incidentId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('phase awaiting-approval');
    expect(show.stdout).toMatch(/restart-replica-1: approval for step restart-replica/);
    expect(show.stdout).toMatch(/tier tier1\s+quorum 0 of 1\s+expires \S+ \(in \d/);
    expect(show.stdout).toContain('adjustable instance (one of db-1|db-2), drainSeconds (integer 0..120)');
    expect(show.stdout).toMatch(/check-lag\s+diagnostic\s+http.request\s+succeeded/);
  });

  it('approves with an adjusted input; watch follows it to the end; the target sees the value', async () => {
    const watch = start(['incidents', 'watch', incidentId, '--interval', '200'], { as: 'audrey' });

    const typo = await cli(['approve', incidentId, 'restart-replica-1', '--reason', 'ok', '--set', 'drainSeconds=abc']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/invalid input: drainSeconds: "abc" is not an integer \(integer 0\.\.120\)/);
    expect(typo.stderr).not.toMatch(/\n\s+at /);
    const bounds = await cli([
      'approve',
      incidentId,
      'restart-replica-1',
      '--reason',
      'ok',
      '--set',
      'drainSeconds=500',
    ]);
    expect(bounds.code).toBe(1);
    expect(bounds.stderr).toMatch(/drainSeconds/);

    const auditor = await cli(['approve', incidentId, 'restart-replica-1', '--reason', 'auditors cannot'], {
      as: 'audrey',
    });
    expect(auditor.code).toBe(3);
    expect(auditor.stderr).toMatch(/^not allowed: /);

    const approve = await cli([
      'approve',
      incidentId,
      'restart-replica-1',
      '--reason',
      'lag confirmed from the cli',
      '--set',
      'drainSeconds=45',
    ]);
    expect(approve.stderr).toContain('drainSeconds=45');
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(/approved restart-replica-1: request is approved \(1 of 1 approvals\)/);

    const watched = await watch.done;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^\d\d:\d\d:\d\d phase awaiting-approval$/m);
    expect(watched.stdout).toMatch(/approval restart-replica-1 approved \(1 of 1, tier tier1\)$/m);
    expect(watched.stdout).toMatch(/step restart-replica succeeded$/m);
    expect(watched.stdout).toMatch(/phase completed$/m);

    const restarts = target.requestsTo('/mitigations/restart').map((q) => JSON.parse(q.body));
    expect(restarts).toContainEqual(expect.objectContaining({ instance: 'db-1', drainSeconds: 45 }));
  });

  it('finds the reason in the audit trail and exports it as CSV', async () => {
    await vi.waitFor(
      async () => {
        const run = await cli(['audit', 'search', 'confirmed from the cli', '--incident', incidentId, '--json'], {
          as: 'audrey',
        });
        expect(run.code).toBe(0);
        // The reason is on the grant and on the adjustment it carried.
        expect(JSON.parse(run.stdout).events).toContainEqual(
          expect.objectContaining({
            type: 'approval.granted',
            actor: expect.objectContaining({ id: 'bob', channel: 'cli' }),
          }),
        );
      },
      { timeout: 15_000, interval: 500 },
    );
    const table = await cli(['audit', 'search', '--incident', incidentId, '--all', '--type', 'approval.granted'], {
      as: 'audrey',
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+TYPE\s+ACTOR\s+CHANNEL\s+INCIDENT\s+SUMMARY$/m);
    expect(table.stdout).toMatch(/approval\.granted\s+bob\s+cli\s+/);

    const csv = await cli(['audit', 'export', '--format', 'csv', '--incident', incidentId], { as: 'audrey' });
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/eventId/);
    expect(lines.some((l) => l.includes('approval.granted') && l.includes('lag confirmed from the cli'))).toBe(true);
  });

  it('prints the incident review as Markdown, and refuses a PDF without --out (usage, exit 2)', async () => {
    const review = await cli(['review', incidentId], { as: 'audrey' });
    expect(review.code).toBe(0);
    expect(review.stdout).toMatch(/^# Incident review: /);
    expect(review.stdout).toContain('Bob Approver approved restart-replica-1');
    expect(review.stdout).toContain('through cli');
    expect(review.stdout).toContain('- Adjusted inputs: drainSeconds = 45');
    expect((await cli(['review', incidentId, '--format', 'pdf'], { as: 'audrey' })).code).toBe(2);
  });

  it('refuses a second decision by the same person with the workflow message (exit 1)', async () => {
    const id = await openPending('cli-quorum', { alertname: 'QuorumLag' });
    const first = await cli(['approve', id, 'restart-replica-1', '--reason', 'first of two']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/request is pending \(1 of 2 approvals\)/);
    const again = await cli(['approve', id, 'restart-replica-1', '--reason', 'me again']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^refused: .*bob.*already/m);
    // Emergency stop ends it as cancelled.
    const stop = await cli(['stop', id, '--reason', 'test cleanup'], { as: 'alice' });
    expect(stop.code).toBe(0);
    await r.until(id, (s) => s.phase === 'cancelled');
  });

  it('opts out (the response halts) and opts back in', async () => {
    const id = await openPending('cli-opt-out');
    const out = await cli(['opt-out', id, '--reason', 'handling this by hand'], { as: 'alice' });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/opted out \(halt-now\): /);
    const halted = await r.until(id, (s) => s.phase === 'opted-out');
    expect(halted.optOuts[0]).toMatchObject({ active: true, actor: { id: 'alice', channel: 'cli' } });
    const show = await cli(['incidents', 'show', id]);
    expect(show.stdout).toMatch(
      /Active opt-outs\n\s+\S+: response halt-now by Alice Responder \(cli\) — handling this by hand/,
    );

    // Ctrl-C ends a watch with 130, after it printed where the response stands.
    const watch = start(['incidents', 'watch', id, '--interval', '200']);
    await vi.waitFor(() => expect(watch.output()).toMatch(/phase opted-out$/m), { timeout: 10_000, interval: 100 });
    watch.child.kill('SIGINT');
    expect((await watch.done).code).toBe(130);

    const bad = await cli(['opt-out', id, '--reason', 'x', '--step', 'a', '--action', 'b'], { as: 'alice' });
    expect(bad.code).toBe(2);
    const back = await cli(['opt-in', id, '--reason', 'automation may continue'], { as: 'alice' });
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^released \S+; automation resumes$/m);
    await cli(['stop', id, '--reason', 'test cleanup'], { as: 'alice' });
  });

  it('settle: refused (exit 1) while no mitigation of unknown effect waits; a bad choice is a usage error', async () => {
    // The whole path (a worker killed, then retry, mark done, hand over) is test/chaos/worker-kill.test.ts.
    const id = await openPending('cli-settle');
    const refused = await cli(['settle', id, 'restart-replica', '--choice', 'mark-done', '--reason', 'done by hand']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^refused: step restart-replica has no mitigation of unknown effect/m);
    const bad = await cli(['settle', id, 'restart-replica', '--choice', 'maybe', '--reason', 'x'], { as: 'alice' });
    expect(bad.code).toBe(2);
    await cli(['stop', id, '--reason', 'test cleanup'], { as: 'alice' });
  });
});

describe('guardrails from the CLI', () => {
  it('engages and releases the kill switch', async () => {
    const on = await cli(['kill-switch', 'on', '--reason', 'cli test engages it'], { as: 'alice' });
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/kill switch ENGAGED/);
    expect((await h.request('GET', '/v1/guardrails', { as: 'alice' })).body.killSwitch.engaged).toBe(true);
    const off = await cli(['kill-switch', 'off', '--reason', 'cli test releases it', '--json'], { as: 'alice' });
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).killSwitch.engaged).toBe(false);
    const again = await cli(['kill-switch', 'off', '--reason', 'not engaged now'], { as: 'alice' });
    expect(again.code).toBe(1);
  });

  it('adds, lists and lifts a pause (admins only)', async () => {
    const denied = await cli(['pause', 'add', '--service', 'search', '--reason', 'responders cannot'], { as: 'alice' });
    expect(denied.code).toBe(3);
    const add = await cli(['pause', 'add', '--service', 'search', '--for', '10m', '--reason', 'reindexing', '--json'], {
      as: 'ada',
    });
    expect(add.code).toBe(0);
    const pause = JSON.parse(add.stdout).pauses.find((p: { reason: string }) => p.reason === 'reindexing');
    const ls = await cli(['pause', 'ls'], { as: 'audrey' });
    expect(ls.stdout).toMatch(new RegExp(`${pause.id}\\s+service=search\\s+ada\\s+\\S+\\s+reindexing`));
    const rm = await cli(['pause', 'rm', pause.id, '--reason', 'reindex done'], { as: 'ada' });
    expect(rm.code).toBe(0);
    expect((await cli(['pause', 'rm', pause.id, '--reason', 'twice'], { as: 'ada' })).code).toBe(4);
  });
});

describe('errors scripts can rely on', () => {
  it('exit 4 for an unknown incident, 5 for an unreachable gateway, 2 for bad usage', async () => {
    const closed = await freePort();
    const [unknown, unreachable, usage] = await Promise.all([
      cli(['incidents', 'show', `am-${'0'.repeat(24)}`]),
      cli(['incidents', 'ls'], { env: { INTERLOCK_URL: `http://127.0.0.1:${closed}` } }),
      cli(['incidents', 'ls', '--limit', 'many']),
    ]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^not found: /);
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(usage.code).toBe(2);
  });

  it('validate reports a broken playbook with file:line (exit 1) and a good one (exit 0)', async () => {
    const dir = fs.mkdtempSync(path.join(home, 'playbooks-'));
    fs.writeFileSync(
      path.join(dir, 'broken.yaml'),
      restartPlaybook('http://target.example').replace('risk: high', 'risk: extreme'),
    );
    const bad = await cli(['validate', '--playbooks', dir], { as: null });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`${dir}/broken.yaml:\\d+: steps\\.1\\.risk: .*`));
    fs.writeFileSync(path.join(dir, 'broken.yaml'), restartPlaybook('http://target.example'));
    const good = await cli(['validate', '--playbooks', dir], { as: null });
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(/^valid: /);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
