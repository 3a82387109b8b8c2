import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

const auto = (alertname: string) =>
  restartPlaybook(target.url, { alertname, policy: '{ mode: auto }' }).replace(
    'id: restart-replica\n',
    `id: ${alertname.toLowerCase()}\n`,
  );

beforeAll(async () => {
  target = await startTargetServer();
  target.respondAfter('/mitigations/restart', 1500);
  h = await startHarness({
    playbooks: { 'restart.yaml': restartPlaybook(target.url), 'auto.yaml': auto('AutoRestart') },
    policy: 'default: { mode: auto }',
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const restarts = (tag: string) =>
  target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes(tag));
const guard = (method: string, path: string, body: Record<string, unknown>, as: 'ada' | 'alice' | 'audrey' = 'ada') =>
  h.request(method, `/v1/guardrails${path}`, { as, body });

describe('kill switch', () => {
  it('interrupts a running mitigation, holds everything while engaged, and lets responses continue once released', async () => {
    const id = await r.open('ks-running', { labels: { alertname: 'AutoRestart', incident_tag: 'ks-1' } });
    await target.waitFor(() => restarts('ks-1').length === 1);
    const engaged = await guard('POST', '/kill-switch', { reason: 'automation misbehaving in prod' }, 'alice');
    expect(engaged.status).toBe(200);
    expect(engaged.body.killSwitch).toMatchObject({ engaged: true, actor: { id: 'alice' } });
    await target.waitFor(() => restarts('ks-1')[0]!.aborted, 5_000);
    const blocked = await r.until(id, (s) => s.phase === 'blocked');
    expect(blocked.blockedBy[0]).toMatch(/kill switch engaged by Alice Responder/);

    // A new response during the switch: its diagnostic runs (allowed), its mitigation waits.
    const other = await r.open('ks-new', { labels: { alertname: 'AutoRestart', incident_tag: 'ks-2' } });
    await r.until(other, (s) => s.phase === 'blocked');
    expect(restarts('ks-2')).toHaveLength(0);

    expect((await guard('DELETE', '/kill-switch', { reason: 'root cause fixed' }, 'alice')).status).toBe(200);
    expect((await r.result(other)).phase).toBe('completed');
    expect(restarts('ks-2')).toHaveLength(1);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('ks-1')).toHaveLength(2); // interrupted once, run again after the release
    expect(r.types(await r.status(id))).toEqual(
      expect.arrayContaining(['guardrail.halted', 'mitigation.cancelled', 'mitigation.blocked']),
    );
  });

  it('lets a pending approval be granted, but nothing runs until the switch is released', async () => {
    const id = await r.open('ks-approval', { labels: { incident_tag: 'ks-3' } });
    const approval = await r.pendingApproval(id);
    expect((await guard('POST', '/kill-switch', { reason: 'hold everything' })).status).toBe(200);
    expect(
      (await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'approved during the freeze-out' }))
        .status,
    ).toBe(200);
    await r.until(id, (s) => s.phase === 'blocked');
    await new Promise((res) => setTimeout(res, 500));
    expect(restarts('ks-3')).toHaveLength(0);
    expect((await guard('DELETE', '/kill-switch', { reason: 'all clear' })).status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('ks-3')).toHaveLength(1);
    // The approval given during the switch was used; nobody was asked twice.
    expect((await r.status(id)).approvals).toHaveLength(1);
    expect((await guard('DELETE', '/kill-switch', { reason: 'again' })).status).toBe(409);
  });

  it('survives a Cancel from the Temporal UI: the request is refused and audited, the switch stays engaged', async () => {
    expect((await guard('POST', '/kill-switch', { reason: 'hold during the cancel test' })).status).toBe(200);
    const control = h.client.workflow.getHandle(h.guardrailsWorkflowId);
    try {
      await control.cancel();
      await expect
        .poll(
          async () =>
            (
              await h.request(
                'GET',
                '/v1/audit/search?type=input.rejected&q=guardrails%20control%20workflow&limit=50',
                { as: 'audrey' },
              )
            ).body.total ?? 0,
          { timeout: 10_000, interval: 200 },
        )
        .toBeGreaterThan(0);
      expect((await control.describe()).status.name).toBe('RUNNING');
      const controls = (await h.request('GET', '/v1/guardrails', { as: 'audrey' })).body;
      expect(controls.killSwitch).toMatchObject({ engaged: true, reason: 'hold during the cancel test' });
      // Still taking changes: releasing it through the API works as before.
      expect((await guard('DELETE', '/kill-switch', { reason: 'cancel test over' })).status).toBe(200);
      expect((await control.describe()).status.name).toBe('RUNNING');
    } finally {
      await guard('DELETE', '/kill-switch', { reason: 'cleanup' });
    }
  });
});

describe('pauses, rules and freezes', () => {
  it('a scoped pause holds what it matches, not the rest, and expires by itself (audited)', async () => {
    const expiresAt = new Date(Date.now() + 6000).toISOString();
    const paused = await guard('POST', '/pauses', {
      selector: { service: 'payments-db', environment: 'prod' },
      reason: 'payments maintenance',
      expiresAt,
    });
    expect(paused.status).toBe(201);
    const matching = await r.open('pause-match', { labels: { alertname: 'AutoRestart', incident_tag: 'pause-1' } });
    const other = await r.open('pause-other', {
      labels: { alertname: 'AutoRestart', incident_tag: 'pause-2', service: 'search' },
    });
    expect((await r.result(other)).phase).toBe('completed');
    expect(restarts('pause-2')).toHaveLength(1);
    expect(restarts('pause-1')).toHaveLength(0);
    expect((await r.result(matching)).phase).toBe('completed'); // after the pause expired
    expect(restarts('pause-1')).toHaveLength(1);
    const events = await h.request('GET', `/v1/audit/search?type=guardrail.pause-expired&limit=10`, { as: 'audrey' });
    expect(events.body.events.some((e: any) => e.summary.includes(paused.body.pauses[0].id))).toBe(true);
  });

  it('resolves overlapping rules to the most restrictive, and a freeze makes automatic steps need approval', async () => {
    const block = await guard('POST', '/rules', {
      selector: { service: 'orders' },
      effect: 'block',
      reason: 'orders migration',
    });
    const approval = await guard('POST', '/rules', {
      selector: { service: 'orders' },
      effect: 'approval',
      tier: 'lead',
      reason: 'orders are sensitive',
    });
    expect([block.status, approval.status]).toEqual([201, 201]);
    const blocked = await r.open('rule-block', {
      labels: { alertname: 'AutoRestart', incident_tag: 'rule-1', service: 'orders' },
    });
    const s1 = await r.until(blocked, (s) => s.phase === 'blocked');
    expect(s1.blockedBy[0]).toMatch(/exclusion rule rule-\d+: orders migration/);
    // Remove the block: the approval rule still stands.
    expect(
      (
        await guard('DELETE', `/rules/${block.body.rules.find((x: any) => x.effect === 'block').id}`, {
          reason: 'migration done',
        })
      ).status,
    ).toBe(200);
    const pending = await r.pendingApproval(blocked);
    expect(pending).toMatchObject({ tier: 'lead' });
    await r.post(blocked, 'resolve', 'alice', { summary: 'test cleanup' });
    await guard('DELETE', `/rules/${approval.body.rules.at(-1).id}`, { reason: 'cleanup' });

    const freeze = await guard('POST', '/freezes', {
      start: new Date(Date.now() - 1000).toISOString(),
      end: new Date(Date.now() + 600_000).toISOString(),
      selector: { service: 'checkout' },
      tier: 'lead',
      reason: 'Black Friday freeze',
    });
    expect(freeze.status).toBe(201);
    const frozen = await r.open('freeze', {
      labels: { alertname: 'AutoRestart', incident_tag: 'freeze-1', service: 'checkout' },
    });
    const needs = await r.pendingApproval(frozen);
    expect(needs).toMatchObject({
      tier: 'lead',
      context: { policySource: expect.stringMatching(/^change freeze freeze-\d+$/) },
    });
    expect(
      (await r.decide(frozen, needs.id, 'lee', { decision: 'approve', reason: 'lead approves during the freeze' }))
        .status,
    ).toBe(200);
    expect((await r.result(frozen)).phase).toBe('completed');
    await guard('DELETE', `/freezes/${freeze.body.freezes[0].id}`, { reason: 'freeze over' });
  });

  it('a freeze declared while a tier1 approval is pending: that yes no longer suffices, the freeze tier is asked', async () => {
    const id = await r.open('freeze-late', { labels: { incident_tag: 'freeze-late-1', service: 'ledger' } });
    const tier1 = await r.pendingApproval(id);
    expect(tier1).toMatchObject({ tier: 'tier1' });
    const freeze = await guard('POST', '/freezes', {
      start: new Date(Date.now() - 1000).toISOString(),
      end: new Date(Date.now() + 600_000).toISOString(),
      selector: { service: 'ledger' },
      tier: 'lead',
      reason: 'ledger close',
    });
    expect(freeze.status).toBe(201);
    expect((await r.decide(id, tier1.id, 'bob', { decision: 'approve', reason: 'tier1 says yes' })).status).toBe(200);
    const lead = await r.pendingApproval(id);
    expect(lead).toMatchObject({ tier: 'lead' });
    expect(restarts('freeze-late-1')).toHaveLength(0);
    const status = await r.status(id);
    expect(status.approvals.find((a: any) => a.id === tier1.id).state).toBe('void');
    expect(
      (await r.decide(id, lead.id, 'lee', { decision: 'approve', reason: 'lead approves the restart' })).status,
    ).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
    expect(restarts('freeze-late-1')).toHaveLength(1);
    await guard('DELETE', `/freezes/${freeze.body.freezes.find((f: any) => f.reason === 'ledger close').id}`, {
      reason: 'close done',
    });
  });

  it('a manual-only rule added while an approval is pending: the approved step still does not run', async () => {
    const id = await r.open('manual-late', { labels: { incident_tag: 'manual-late-1', service: 'vault' } });
    const pending = await r.pendingApproval(id);
    const rule = await guard('POST', '/rules', {
      selector: { service: 'vault' },
      effect: 'manual-only',
      reason: 'vault is hands-on only',
    });
    expect(rule.status).toBe(201);
    expect(
      (await r.decide(id, pending.id, 'bob', { decision: 'approve', reason: 'approved before hearing of the rule' }))
        .status,
    ).toBe(200);
    const done = await r.until(
      id,
      (s) => s.steps.find((x: any) => x.id === 'restart-replica')?.state === 'manual-only',
    );
    expect(done.approvals.find((a: any) => a.id === pending.id).state).toBe('void');
    expect(restarts('manual-late-1')).toHaveLength(0);
    await r.post(id, 'resolve', 'alice', { summary: 'done by hand' });
    await guard('DELETE', `/rules/${rule.body.rules.find((x: any) => x.reason === 'vault is hands-on only').id}`, {
      reason: 'cleanup',
    });
  });

  it('refuses unauthorized changes with 403 and audits them; refuses malformed selectors with 400', async () => {
    const refused = await guard('POST', '/pauses', { selector: { service: 'x' }, reason: 'not my call' }, 'alice');
    expect(refused.status).toBe(403);
    expect((await guard('POST', '/kill-switch', { reason: 'auditors cannot' }, 'audrey')).status).toBe(403);
    await new Promise((res) => setTimeout(res, 1500));
    const audited = await h.request('GET', '/v1/audit/search?type=input.rejected&actor=alice&limit=50', {
      as: 'audrey',
    });
    expect(audited.body.events.some((e: any) => e.summary.includes('POST /v1/guardrails/pauses'))).toBe(true);

    for (const selector of [{}, { colour: 'red' }, { service: '' }, 'everything']) {
      const bad = await guard('POST', '/pauses', { selector, reason: 'bad selector' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/selector/);
    }
    const noReason = await guard('POST', '/kill-switch', {});
    expect(noReason.status).toBe(400);
    const backwards = await guard('POST', '/freezes', {
      start: '2026-12-02T00:00:00Z',
      end: '2026-12-01T00:00:00Z',
      reason: 'backwards',
    });
    expect(backwards.body.error.message).toMatch(/start must be before end/);
    expect((await guard('DELETE', '/pauses/pause-999', { reason: 'no such' })).status).toBe(404);
    const all = await h.request('GET', '/v1/guardrails', { as: 'audrey' });
    expect(all.body).toMatchObject({
      killSwitch: { engaged: false },
      pauses: expect.any(Array),
      rules: expect.any(Array),
      freezes: expect.any(Array),
    });
  });
});
