import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import { REPO } from '../support/simulate.js';

// `interlock simulate` as an engineer runs it: the real binary, offline. INTERLOCK_URL points
// nowhere: the command must not need a gateway (nor OpenSearch: none is named).
// Each case starts a time-skipping server of its own; a loaded machine (2 shared cores) takes its time.
vi.setConfig({ testTimeout: 120_000 });
const BIN = path.join(REPO, 'bin', 'interlock.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      INTERLOCK_URL: 'http://127.0.0.1:9',
      OPENSEARCH_URL: 'http://127.0.0.1:9',
      TEMPORAL_TEST_SERVER_PATH: inject('timeSkippingServerPath'),
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const common = [
  '--playbook',
  'playbooks/postgres-replication-lag.yaml',
  '--alert',
  'examples/alertmanager-webhook.json',
  '--roster',
  'config/oncall.example.yaml',
  '--at',
  '2026-12-05T03:00:00Z',
];

describe('interlock simulate', () => {
  it('--json: the report of a scripted incident, and nothing else on stdout', async () => {
    const run = await cli([...common, '--script', 'examples/simulation/bob-approves.yaml', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ phase: 'completed', passed: true, violations: [] });
    expect(report.startedAt).toMatch(/^2026-12-05T03:00/);
    expect(report.approvals).toEqual([
      expect.objectContaining({
        stepId: 'restart-replica',
        tier: 'tier1',
        state: 'approved',
        decisions: [expect.objectContaining({ who: 'bob', decision: 'approve' })],
      }),
    ]);
    expect(report.pages[0]).toMatchObject({ kind: 'approval.requested', tier: 'tier1', people: ['bob'] });
    expect(report.actions.map((a: { stepId: string }) => a.stepId)).toEqual([
      'check-lag',
      'restart-replica',
      'confirm-lag-recovered',
    ]);
    expect(report.actions[1].params.body).toEqual({ instance: 'db-replica-1', drainSeconds: 60 });
    expect(report.wallMs).toBeGreaterThan(0);
  });

  it('prints the story: pages, escalations, what would have run, and the wall time', async () => {
    const run = await cli([...common, '--script', 'examples/simulation/nobody-answers.yaml']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Outcome: completed, 30m \d+s of simulated time in [\d.]+ s of wall time/);
    expect(run.stdout).toMatch(/\+15m \d+s\s+restart-replica-1 -> lead \(lee\)/);
    expect(run.stdout).toMatch(/restart-replica-1: approval from tier1, then lead .*, expired/);
    expect(run.stdout).toContain('Policy check: passed');
  });

  it('a bad script: exit 1, every problem with file, field and line, and no simulation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-sim-'));
    const script = path.join(dir, 'people.yaml');
    fs.writeFileSync(script, 'people:\n  - who: bob\n    does: aprove\n    after: soon\n');
    try {
      const run = await cli([...common, '--script', script]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`${script}: people.0.does: Invalid option`);
      expect(run.stderr).toContain(`${script}: people.0.after: a duration like "500ms", "30s", "15m" or "2h" (line 4)`);
      expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a playbook that changes production without its approval fails the command (exit 1)', async () => {
    const run = await cli([
      '--playbook',
      'test/fixtures/simulation/disguised-restart.yaml',
      '--alert',
      'examples/alertmanager-webhook.json',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Policy check: FAILED\n {2}- check-and-restart \(diagnostic, http.request POST\)/);
    expect(run.stderr).toContain('simulation failed: 1 policy violation(s)');
  });
});
