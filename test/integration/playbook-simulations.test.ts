import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { parsePlaybook } from '../../src/clients/config/catalog.js';
import { repoPath, simulatePlaybook } from '../support/simulate.js';

/**
 * Playbook tests, as a team keeps them in CI: every playbook in playbooks/ is simulated with the
 * real workflow on the time-skipping server (no gateway, OpenSearch or target), and fails when a
 * change would run without the consent its policy requires.
 */
// Each case starts a time-skipping server of its own; a loaded machine (2 shared cores) takes its time.
vi.setConfig({ testTimeout: 120_000 });
const ROSTER = 'config/oncall.example.yaml';
const AT = '2026-12-05T03:00:00Z'; // bob holds tier1 that week, lee is the lead
const minutes = (r: { startedAt: string }, at: string) =>
  Math.round((Date.parse(at) - Date.parse(r.startedAt)) / 60_000);

const playbookFiles = fs.readdirSync(repoPath('playbooks')).filter((f) => /\.ya?ml$/.test(f));

describe.each(playbookFiles)('playbooks/%s', (file) => {
  const playbook = `playbooks/${file}`;
  // The playbook's own example alert (labels its match and templates need), or the default one.
  const own = `examples/alerts/${file.replace(/\.ya?ml$/, '')}.json`;
  const alert = fs.existsSync(repoPath(own)) ? { alert: repoPath(own) } : {};
  const parsed = parsePlaybook(fs.readFileSync(repoPath(playbook), 'utf8'), playbook);
  const approvers = ['bob', 'dana', 'lee'];

  it('nobody answers: nothing that needs consent runs, and the policy check passes', async () => {
    const report = await simulatePlaybook({ playbook, roster: ROSTER, at: AT, ...alert }, { script: { people: [] } });
    expect(report.violations).toEqual([]);
    expect(report.phase).toBe('completed');
    // Approval and manual-only wait for a person; an objection window runs unless someone objects.
    const needConsent = report.steps
      .filter((s) => s.policy && (s.policy.mode === 'approval' || s.policy.mode === 'manual-only'))
      .map((s) => s.id);
    expect(report.actions.filter((a) => needConsent.includes(a.stepId))).toEqual([]);
  });

  it('the approvers answer: every mitigation runs with the approval it needs', async () => {
    const script = { people: approvers.map((who) => ({ who, does: 'approve' as const, after: 60_000 })) };
    const report = await simulatePlaybook({ playbook, roster: ROSTER, at: AT, ...alert }, { script });
    expect(report.violations).toEqual([]);
    for (const step of parsed.steps.filter((s) => s.kind === 'mitigation'))
      expect(report.steps.find((s) => s.id === step.id)?.state, step.id).toMatch(/succeeded|manual-only/);
  });
});

describe('postgres-replication-lag, as people would handle it', () => {
  const playbook = 'playbooks/postgres-replication-lag.yaml';

  it('bob approves 3 minutes after he is paged, with a longer drain: the restart would run with it', async () => {
    const report = await simulatePlaybook(
      { playbook, roster: ROSTER, at: AT, script: repoPath('examples/simulation/bob-approves.yaml') },
      {},
    );
    expect(report.passed).toBe(true);
    const [approval] = report.approvals;
    expect(approval).toMatchObject({ stepId: 'restart-replica', tier: 'tier1', state: 'approved' });
    // 3 minutes of skipped time, plus the few milliseconds the server's clock runs between them.
    expect(approval!.decisions).toEqual([expect.objectContaining({ who: 'bob' })]);
    expect(approval!.decisions[0]!.afterRequestMs).toBeGreaterThanOrEqual(180_000);
    expect(approval!.decisions[0]!.afterRequestMs).toBeLessThan(185_000);
    const asked = report.pages.find((p) => p.kind === 'approval.requested');
    expect(asked).toMatchObject({ tier: 'tier1', people: ['bob'] });
    const restart = report.actions.find((a) => a.stepId === 'restart-replica');
    expect(restart).toMatchObject({ kind: 'mitigation', consentTier: 'tier1', outcome: 'would-run' });
    expect(restart!.params).toMatchObject({ method: 'POST', body: { instance: 'db-replica-1', drainSeconds: 60 } });
    expect(minutes(report, restart!.at)).toBe(3);
  });

  it('nobody answers: reminded at 5 min, escalated to the lead at 15, expired at 30; nothing restarts', async () => {
    const report = await simulatePlaybook({ playbook, roster: ROSTER, at: AT }, { script: { people: [] } });
    expect(report.passed).toBe(true);
    const pages = report.pages.map((p) => [p.kind, p.tier, p.people.join(','), minutes(report, p.at)]);
    expect(pages).toEqual([
      ['approval.requested', 'tier1', 'bob', 0],
      ['approval.reminder', 'tier1', 'bob', 5],
      ['approval.escalated', 'lead', 'lee', 15],
      ['approval.reminder', 'lead', 'lee', 20],
      ['approval.expired', 'lead', 'lee', 30],
    ]);
    expect(report.escalations).toHaveLength(1);
    expect(report.steps.find((s) => s.id === 'restart-replica')?.state).toBe('expired');
    expect(report.actions.map((a) => a.stepId)).toEqual(['check-lag', 'confirm-lag-recovered']);
  });

  it('alice opts out during the restart: it is interrupted and nothing more runs', async () => {
    const report = await simulatePlaybook({
      playbook,
      roster: ROSTER,
      at: AT,
      script: repoPath('examples/simulation/alice-opts-out.yaml'),
      horizon: '2h',
    });
    expect(report.passed).toBe(true);
    expect(report.phase).toBe('opted-out');
    expect(report.ending).toMatch(/still open after 2 h/);
    expect(report.actions.find((a) => a.stepId === 'restart-replica')?.outcome).toBe('interrupted');
    expect(report.actions.some((a) => a.stepId === 'confirm-lag-recovered')).toBe(false);
    expect(report.inputs).toEqual([
      expect.objectContaining({ who: 'bob', does: 'approve', outcome: 'accepted' }),
      expect.objectContaining({ who: 'alice', does: 'opt-out', outcome: 'accepted' }),
    ]);
  });

  it('a two-hour escalation chain simulates in seconds', async () => {
    const report = await simulatePlaybook(
      { playbook, roster: ROSTER, at: AT, policy: repoPath('test/fixtures/simulation/two-hour-chain.yaml') },
      {
        script: { people: [{ who: 'lee', does: 'approve', after: 50 * 60_000, reason: 'the lead takes it' }] },
        // Without the step's own floor (15 minutes), the policy file's hour per tier applies.
        adjust: (s) => ({
          ...s,
          playbook: { ...s.playbook, steps: s.playbook.steps.map(({ policy: _p, ...step }) => step) },
        }),
      },
    );
    expect(report.passed).toBe(true);
    expect(report.escalations.map((e) => [e.tier, minutes(report, e.at)])).toEqual([['lead', 60]]);
    const restart = report.actions.find((a) => a.stepId === 'restart-replica');
    expect(restart && minutes(report, restart.at)).toBe(110);
    expect(report.simulatedMs).toBeGreaterThanOrEqual(110 * 60_000);
    // About 3.5 s here; the bound leaves room for a loaded machine and is still no real two hours.
    expect(report.simulationWallMs).toBeLessThan(30_000);
    console.log(
      `two-hour chain: ${Math.round(report.simulatedMs / 60_000)} min simulated in ${report.simulationWallMs} ms of wall time`,
    );
  });

  it('a standing rule that blocks the restart is reported, and the simulation stops there', async () => {
    const report = await simulatePlaybook(
      { playbook, at: AT },
      {
        script: { people: [{ who: 'bob', does: 'approve', reason: 'go ahead' }] },
        adjust: (s) => ({
          ...s,
          standingRules: [
            { id: 'no-db-restarts', selector: { service: 'payments-db' }, effect: 'block', reason: 'migration week' },
          ],
        }),
      },
    );
    expect(report.ending).toMatch(/blocked by a standing rule: exclusion rule no-db-restarts/);
    expect(report.guardrails[0]).toMatchObject({
      kind: 'mitigation',
      blockers: [expect.stringContaining('no-db-restarts')],
    });
    expect(report.actions.some((a) => a.kind === 'mitigation')).toBe(false);
  });
});

describe('a playbook that would change production without the approval its policy requires', () => {
  it('fails its simulation, naming the step and the approval it lacked', async () => {
    const report = await simulatePlaybook(
      { playbook: 'test/fixtures/simulation/disguised-restart.yaml', at: AT },
      { script: { people: [] } },
    );
    expect(report.passed).toBe(false);
    expect(report.violations).toEqual([
      expect.stringMatching(
        /^check-and-restart \(diagnostic, http.request POST\) runs as a diagnostic but changes something, and ran without the approval policy rule "leads-for-live-customer-traffic" requires \(2 of lead\/incident-commander\)/,
      ),
    ]);
  });
});
