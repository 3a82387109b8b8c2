import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { historyToJsonObject } from '../support/history-json.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { parentOf, processRuns, workerFleet, type WorkerFleet, type WorkerProcess } from './support/worker-process.js';

/**
 * A worker process killed (SIGKILL) while it runs mitigations, an HTTP request and a shell
 * command: nothing it started runs on, nothing is repeated behind anyone's back, each response
 * tells people what happened and waits for one of them, and the other worker carries on with
 * everything else. One kill, three responses in flight on the victim: each tries one option.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let target: TargetServer;
let h: Harness;
let fleet: WorkerFleet;
let r: ReturnType<typeof responses>;
let victim: WorkerProcess;
const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-shell-')), 'pids');
const ids = { http: '', handover: '', shell: '' };
let killedAt = 0;

/** An automatic restart playbook of its own (id, alert name, target). */
const auto = (url: string, id: string, alertname: string, mitigationTimeout?: string) =>
  restartPlaybook(url, { alertname, mitigationTimeout, policy: '{ mode: auto }' }).replace(
    'id: restart-replica\n',
    `id: ${id}\n`,
  );

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    worker: false,
    playbooks: {
      'http.yaml': auto(target.url, 'kill-http', 'KillHttp', '120s'),
      'handover.yaml': auto(`${target.url}/handover`, 'kill-handover', 'KillHandover', '120s'),
      'after.yaml': auto(`${target.url}/after`, 'after-kill', 'AfterKill'),
      'shell.yaml': `
id: kill-shell
version: 1
match: { labels: { alertname: KillShell } }
steps:
  - id: restart-service
    kind: mitigation
    risk: high
    action: shell.command
    impact: Restarts the service
    params:
      # The shell and a child it starts in the background: both must die with the worker.
      command: ["sh", "-c", "echo $$ >> ${pidFile}; sleep 300 & echo $! >> ${pidFile}; wait"]
      timeout: 120s
    policy: { mode: auto }
`,
    },
  });
  r = responses(h);
  fleet = await workerFleet(h, {
    temporalAddress: inject('temporalAddress'),
    opensearchUrl: inject('opensearchUrl'),
    auditIndexPrefix: inject('auditIndexPrefix'),
    workflowBundlePath: inject('workflowBundlePath'),
    policy: 'default: { mode: auto }',
  });
  target.holdOpen('/mitigations/restart');
  target.holdOpen('/handover/mitigations/restart');
}, 180_000);

afterAll(async () => {
  if (process.env.RECORD_HISTORIES_TO) await recordHistories(process.env.RECORD_HISTORIES_TO);
  await fleet?.stop();
  await h?.stop();
  await target?.close();
});

/**
 * RECORD_HISTORIES_TO=test/fixtures/histories/<commit>: save the three ended responses as replay
 * fixtures (test/unit/replay.test.ts), beside a set recorded by scripts/record-histories.ts, so
 * the needs-human path stays replayable (a worker kill is not something that script can do).
 */
async function recordHistories(dir: string) {
  const scenarios = [
    [
      ids.http,
      'lost-worker-retried',
      'a worker killed mid-mitigation (HTTP): needs-human, an approver retries, completed',
    ],
    [
      ids.shell,
      'lost-worker-marked-done',
      'a worker killed mid-mitigation (shell): needs-human, marked done, completed',
    ],
    [
      ids.handover,
      'lost-worker-handed-over',
      'a worker killed mid-mitigation: needs-human, handed over (CLI), resolved',
    ],
  ] as const;
  for (const [id, scenario, covers] of scenarios) {
    const handle = h.client.workflow.getHandle(`incident-${id}`);
    await handle.result(); // the phase shows before the closing events are flushed
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const fixture = {
      scenario,
      covers,
      workflowType: description.type,
      workflowId: handle.workflowId,
      status: description.status.name,
      recordedFrom: path.basename(dir),
      events: history.events?.length ?? 0,
      history: historyToJsonObject(history),
    };
    fs.writeFileSync(path.join(dir, `${scenario}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
  }
}

const shellPids = () =>
  fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];

describe('a worker killed mid-mitigation', () => {
  it('leaves nothing running, repeats nothing, and asks a person within seconds', async () => {
    // Only the victim runs at first, so it holds all three mitigations.
    victim = await fleet.start('victim');
    ids.http = await r.open('kill-http', { labels: { alertname: 'KillHttp' } });
    ids.handover = await r.open('kill-handover', { labels: { alertname: 'KillHandover' } });
    ids.shell = await r.open('kill-shell', { labels: { alertname: 'KillShell' } });
    await target.waitFor(
      () =>
        target.requestsTo('/mitigations/restart').length === 1 &&
        target.requestsTo('/handover/mitigations/restart').length === 1,
      30_000,
    );
    await vi.waitFor(() => expect(shellPids()).toHaveLength(2), { timeout: 30_000, interval: 100 });
    const [shell, background] = shellPids() as [number, number];
    expect(parentOf(shell)).toBe(victim.pid);
    expect(processRuns(background)).toBe(true);

    await fleet.start('survivor');
    killedAt = Date.now();
    await victim.kill('SIGKILL');

    // No orphan: the command and what it started die with the worker.
    await vi.waitFor(() => expect([processRuns(shell), processRuns(background)]).toEqual([false, false]), {
      timeout: 3_000,
      interval: 50,
    });
    // No request left open: the targets saw the connections end.
    await target.waitFor(
      () =>
        [...target.requestsTo('/mitigations/restart'), ...target.requestsTo('/handover/mitigations/restart')].every(
          (q) => q.aborted,
        ),
      3_000,
    );

    // Detected within seconds (5 s heartbeat timeout), not 30.
    for (const id of Object.values(ids)) {
      const s = await r.until(id, (x) => x.phase === 'needs-human', 20_000);
      const detectedMs = Date.now() - killedAt;
      console.info(`${id}: needs-human seen ${detectedMs} ms after the kill`);
      expect(detectedMs).toBeLessThan(15_000);
      const step = s.steps.find((x: { kind: string }) => x.kind === 'mitigation');
      expect(step.state).toBe('needs-human');
      expect(s.unknownEffects).toHaveLength(1);
      expect(s.unknownEffects[0]).toMatchObject({
        stepId: step.id,
        action: step.action,
        cause: 'heartbeat-timeout',
        effect: 'unknown',
        state: 'open',
        startedAt: step.startedAt,
      });
      expect(s.unknownEffects[0].options.map((o: { choice: string }) => o.choice)).toEqual([
        'retry',
        'mark-done',
        'hand-over',
      ]);
      const types = r.types(s);
      expect(types).toContain('mitigation.effect-unknown');
      expect(types).not.toContain('mitigation.failed');
      expect(types).not.toContain('mitigation.succeeded');
      expect(types).not.toContain('response.completed');
      // Told through the channels, once, with what happened and what can be done.
      await vi.waitFor(() => expect(fleet.sent(id, 'mitigation.needs-human')).toHaveLength(1), { timeout: 10_000 });
      const [note] = fleet.sent(id, 'mitigation.needs-human') as Array<{ text?: string }>;
      expect(note!.text).toMatch(/effect is UNKNOWN.*retry.*mark-done.*hand-over/s);
    }
    // The shell secret-free parameters are in the status for whoever decides.
    expect((await r.status(ids.shell)).unknownEffects[0].parameters.command[0]).toBe('sh');
  }, 120_000);

  it('lets the surviving worker carry on with everything else', async () => {
    const id = await r.open('after-kill', { labels: { alertname: 'AfterKill' } });
    const s = await r.until(id, (x) => x.phase === 'completed', 30_000);
    expect(s.steps.map((x: { state: string }) => x.state)).toEqual(['succeeded', 'succeeded']);
    // Never repeated by itself: still one request each, long after the loss.
    expect(Date.now() - killedAt).toBeGreaterThan(5_000);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
    expect(target.requestsTo('/handover/mitigations/restart')).toHaveLength(1);
    expect(shellPids()).toHaveLength(2);
  }, 60_000);

  it('retries only with a verified approver’s consent, through the same checks', async () => {
    const handle = h.client.workflow.getHandle(`incident-${ids.http}`);
    // Straight to Temporal, unsigned: going ahead needs a verified person.
    await handle.signal('settleMitigation', {
      choice: 'retry',
      reason: 'retry from the Temporal UI',
      actor: { id: 'mallory', name: 'Mallory', channel: 'temporal-ui' },
    });
    await r.until(ids.http, (x) => r.types(x).includes('input.rejected'));
    // A responder without the approver role may not run it again.
    const refused = await r.post(ids.http, 'steps/restart-replica/settle', 'alice', {
      choice: 'retry',
      reason: 'alice tries',
    });
    expect(refused.status).toBe(403);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);

    target.release('/mitigations/restart');
    const ok = await r.post(ids.http, 'steps/restart-replica/settle', 'bob', {
      choice: 'retry',
      reason: 'checked: the replica did not restart',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.settled).toMatchObject({ state: 'retried', settled: { actor: { id: 'bob', verified: true } } });
    const s = await r.until(ids.http, (x) => x.phase === 'completed', 30_000);
    expect(s.steps.find((x: { id: string }) => x.id === 'restart-replica').state).toBe('succeeded');
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(2);
    // Nothing left to settle: a second answer is refused.
    const again = await r.post(ids.http, 'steps/restart-replica/settle', 'bob', { choice: 'retry', reason: 'again' });
    expect(again.status).toBe(409);
    // In the audit trail (OpenSearch): the loss, the consent, the second run.
    await vi.waitFor(
      async () => {
        const t = await h.request('GET', `/v1/incidents/${ids.http}/timeline`, { as: 'alice' });
        const types = (t.body.events ?? t.body).map((e: { type: string }) => e.type);
        expect(types).toEqual(expect.arrayContaining(['mitigation.effect-unknown', 'mitigation.retry-consented']));
        expect(types.filter((x: string) => x === 'mitigation.started')).toHaveLength(2);
      },
      { timeout: 20_000, interval: 250 },
    );
  }, 90_000);

  it('marks a mitigation done on a verified word, and goes on', async () => {
    const res = await r.post(ids.shell, 'steps/restart-service/settle', 'bob', {
      choice: 'mark-done',
      reason: 'the service was restarted by hand',
    });
    expect(res.status).toBe(200);
    const s = await r.until(ids.shell, (x) => x.phase === 'completed', 20_000);
    expect(s.steps[0]).toMatchObject({ state: 'succeeded', note: expect.stringMatching(/^marked done by Bob/) });
    expect(r.types(s)).toContain('mitigation.marked-done');
    expect(shellPids()).toHaveLength(2); // not run again
  }, 60_000);

  it('hands over to a person from the CLI (stopping is open)', async () => {
    const { INTERLOCK_URL: _u, INTERLOCK_TOKEN: _t, ...env } = process.env;
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-cli-'));
    const run = await promisify(execFile)(
      process.execPath,
      [
        'bin/interlock.js',
        'settle',
        ids.handover,
        'restart-replica',
        '--choice',
        'hand-over',
        '--reason',
        'I will check the replica myself',
      ],
      { cwd: ROOT, env: { ...env, HOME: home, INTERLOCK_URL: h.baseUrl, INTERLOCK_TOKEN: h.tokens.alice } },
    );
    expect(run.stdout).toMatch(/restart-replica: handed-over/);
    const s = await r.until(ids.handover, (x) => x.phase === 'handed-over', 20_000);
    expect(s.handover.owner.id).toBe('alice');
    expect(s.steps.find((x: { id: string }) => x.id === 'restart-replica')).toMatchObject({
      state: 'failed',
      note: expect.stringMatching(/effect unknown; left to Alice/),
    });
    expect(target.requestsTo('/handover/mitigations/restart')).toHaveLength(1);
    const resolved = await r.post(ids.handover, 'resolve', 'alice', { summary: 'replica checked and fine' });
    expect(resolved.status).toBe(200);
    await r.until(ids.handover, (x) => x.phase === 'resolved', 20_000);
  }, 60_000);
});
