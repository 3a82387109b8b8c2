import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { accessibilityProblems, launchBrowser } from '../support/browser.js';

/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against the real
 * stack: sign in, watch a response arrive live, approve with an adjusted input, see what others
 * do without reloading, the kill switch, the audit search, an auditor without controls, a forged
 * form refused, and no serious accessibility problem on any page. Screenshots go to docs/.
 */
const DOCS = path.resolve(import.meta.dirname, '../../docs');
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let browser: Browser;

beforeAll(async () => {
  target = await startTargetServer();
  // The slow playbook's mitigation is held open by the target, so it can be opted out of mid-run.
  target.holdOpen('/mitigations/slow-restart');
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'slow.yaml': restartPlaybook(target.url, { alertname: 'Slow', mitigationTimeout: '60s' })
        .replace('id: restart-replica\n', 'id: slow\n')
        .replace('/mitigations/restart', '/mitigations/slow-restart'),
    },
    console: true,
  });
  r = responses(h);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
  await target?.close();
});

async function signedIn(person: Person): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${h.baseUrl}/console`);
  expect(page.url()).toContain('/console/sign-in');
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.fill('#token', h.tokens[person]);
  await page.click('button[type=submit]');
  await page.waitForURL(`${h.baseUrl}/console`);
  return page;
}

describe('the web console', () => {
  it('shows a response arriving live, and approves it with an adjusted input', async () => {
    const page = await signedIn('bob');
    expect(await accessibilityProblems(page)).toEqual([]);
    // Opened after the page: it appears without a reload.
    const id = await r.open('console-live', { labels: { incident_tag: 'console-live-1' } });
    await page.locator(`a[href="/console/incidents/${id}"]`).waitFor({ timeout: 5_000 });
    await r.pendingApproval(id);
    // Whom it waits for, live in the list.
    await page.locator('tr', { hasText: id }).filter({ hasText: 'approval restart-replica-1 from tier1' }).waitFor();
    await page.screenshot({ path: path.join(DOCS, 'console-incidents.png'), fullPage: true });

    await page.click(`a[href="/console/incidents/${id}"]`);
    await page.locator('[data-approval="restart-replica-1"]').waitFor();
    expect(await page.textContent('main')).toContain('Restarts the replica');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(DOCS, 'console-incident.png'), fullPage: true });
    await page.fill('#reason-restart-replica-1', 'lag confirmed on the dashboard');
    await page.fill('#input-restart-replica-1-drainSeconds', '45');
    await page.click('button[name=decision][value=approve]');
    await page.locator('.flash').waitFor();
    expect(await page.textContent('.flash')).toContain('Approved restart-replica-1');
    expect((await r.result(id)).phase).toBe('completed');
    const restart = target.received.filter(
      (x) => x.path === '/mitigations/restart' && x.body.includes('console-live-1'),
    );
    expect(restart).toHaveLength(1);
    expect(JSON.parse(restart[0]!.body).drainSeconds).toBe(45);
    const s = await r.status(id);
    expect(s.approvals[0].decisions[0]).toMatchObject({
      actor: { id: 'bob', channel: 'console', verified: true },
      reason: 'lag confirmed on the dashboard',
      inputs: { drainSeconds: 45 },
    });
  });

  it('shows a decision taken elsewhere without a reload, within a second', async () => {
    const id = await r.open('console-elsewhere', { labels: { incident_tag: 'console-elsewhere-1' } });
    const approval = await r.pendingApproval(id);
    const page = await signedIn('alice');
    await page.goto(`${h.baseUrl}/console/incidents/${id}`);
    await page.locator('[data-approval="restart-replica-1"]').waitFor();
    const before = Date.now();
    expect((await r.decide(id, approval.id, 'bob', { decision: 'reject', reason: 'not now, elsewhere' })).status).toBe(
      200,
    );
    await page.locator('[data-approval="restart-replica-1"]', { hasText: 'rejected' }).waitFor({ timeout: 5_000 });
    expect(Date.now() - before).toBeLessThan(5_000);
    expect(await page.textContent('main')).toContain('Rejected by Bob Approver via api: not now, elsewhere');
  });

  it('engages and releases the kill switch, with a banner on every page while engaged', async () => {
    const page = await signedIn('lee');
    await page.goto(`${h.baseUrl}/console/guardrails`);
    expect(await accessibilityProblems(page)).toEqual([]);
    // One click plus a reason: stopping must be easy.
    await page.fill('#ks-reason', 'database on fire');
    await page.click('button.danger');
    await page.locator('#killswitch-banner.banner').waitFor();
    expect(await page.textContent('#killswitch-banner')).toContain('Kill switch engaged by Lee Lead: database on fire');
    await page.screenshot({ path: path.join(DOCS, 'console-guardrails.png'), fullPage: true });
    await page.goto(`${h.baseUrl}/console`);
    expect(await page.textContent('#killswitch-banner')).toContain('Kill switch engaged');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.goto(`${h.baseUrl}/console/guardrails`);
    await page.fill('#ksr-reason', 'fire is out');
    await page.click('form[aria-label="Release the kill switch"] button');
    await page.locator('[data-killswitch="released"]').waitFor();
    expect(await page.locator('#killswitch-banner.banner').count()).toBe(0);
  });

  it('finds a reason in the audit trail, highlighted', async () => {
    const page = await signedIn('audrey');
    await page.goto(`${h.baseUrl}/console/audit?q=${encodeURIComponent('dashboard')}`);
    await page.locator('mark').first().waitFor({ timeout: 20_000 });
    expect(await page.textContent('mark')).toMatch(/dashboard/i);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(DOCS, 'console-audit.png'), fullPage: true });
  });

  it('gives an auditor no controls, and the server refuses the post anyway', async () => {
    const id = await r.open('console-auditor', { labels: { incident_tag: 'console-auditor-1' } });
    await r.pendingApproval(id);
    const page = await signedIn('audrey');
    await page.goto(`${h.baseUrl}/console/incidents/${id}`);
    await page.locator('[data-approval="restart-replica-1"]').waitFor();
    expect(
      await page
        .locator('form[aria-label^="Decide"], form[aria-label="Opt out"], form[aria-label="Emergency stop"]')
        .count(),
    ).toBe(0);
    await page.goto(`${h.baseUrl}/console/guardrails`);
    expect(await page.locator('form[aria-label="Engage the kill switch"]').count()).toBe(0);
    // Posting anyway, with a valid CSRF token of her own session.
    const csrf = await page.getAttribute('input[name=csrf]', 'value');
    const status = await page.evaluate(
      async ([url, token]) =>
        (
          await fetch(url!, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `csrf=${token}&decision=approve&reason=sneaky`,
          })
        ).status,
      [`/console/incidents/${id}/approvals/restart-replica-1`, csrf],
    );
    expect(status).toBe(403);
    expect((await r.status(id)).approvals[0].decisions).toEqual([]);
    await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
  });

  it('refuses a forged form (no CSRF token of this session) and changes nothing', async () => {
    const id = await r.open('console-csrf', { labels: { incident_tag: 'console-csrf-1' } });
    await r.pendingApproval(id);
    const page = await signedIn('bob');
    await page.goto(`${h.baseUrl}/console/incidents/${id}`);
    const status = await page.evaluate(
      async (url) =>
        (
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'csrf=forged&decision=approve&reason=from+another+site',
          })
        ).status,
      `/console/incidents/${id}/approvals/restart-replica-1`,
    );
    expect(status).toBe(403);
    expect((await r.status(id)).approvals[0].decisions).toEqual([]);
    // And without a session at all, a post is sent to sign in.
    const anonymous = await fetch(`${h.baseUrl}/console/incidents/${id}/approvals/restart-replica-1`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve&reason=anonymous',
    });
    expect(anonymous.status).toBe(303);
    expect((await r.status(id)).approvals[0].decisions).toEqual([]);
    await h.request('POST', `/v1/incidents/${id}/resolve`, { as: 'alice', body: { summary: 'test over' } });
  });

  it('opts out mid-mitigation: the running request is aborted and nothing more runs', async () => {
    const id = await r.open('console-optout', { labels: { alertname: 'Slow', incident_tag: 'console-optout-1' } });
    const approval = await r.pendingApproval(id);
    expect((await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' })).status).toBe(200);
    await target.waitFor(() =>
      target.received.some((x) => x.path === '/mitigations/slow-restart' && x.body.includes('console-optout-1')),
    );
    const page = await signedIn('alice');
    await page.goto(`${h.baseUrl}/console/incidents/${id}`);
    await page.locator('[data-step="restart-replica"]', { hasText: 'running' }).waitFor();
    await page.fill('#optout-reason', 'customers see errors, taking over by hand');
    await page.selectOption('#optout-mode', 'halt-now');
    await page.click('form[aria-label="Opt out"] button');
    await page.locator('.flash').waitFor();
    const held = target.received.find(
      (x) => x.path === '/mitigations/slow-restart' && x.body.includes('console-optout-1'),
    )!;
    await target.waitFor(() => held.aborted, 10_000);
    await page.locator('[data-step="restart-replica"]', { hasText: 'cancelled' }).waitFor({ timeout: 5_000 });
    const s = await r.status(id);
    expect(s.optOuts[0]).toMatchObject({ mode: 'halt-now', actor: { id: 'alice', channel: 'console' } });
  });

  it('pauses a service and lifts the pause (admins only: a responder sees no pause form)', async () => {
    const responder = await signedIn('lee');
    await responder.goto(`${h.baseUrl}/console/guardrails`);
    expect(await responder.locator('form[aria-label="Add a pause"]').count()).toBe(0);
    const page = await signedIn('ada');
    await page.goto(`${h.baseUrl}/console/guardrails`);
    await page.fill('#pause-service', 'search-api');
    await page.fill('#pause-reason', 'reindexing tonight');
    await page.click('form[aria-label="Add a pause"] button');
    await page.locator('.flash', { hasText: 'Paused search-api' }).waitFor();
    const pauses = (await h.request('GET', '/v1/guardrails/pauses', { as: 'audrey' })).body.pauses;
    expect(pauses).toEqual([
      expect.objectContaining({ selector: { service: 'search-api' }, reason: 'reindexing tonight' }),
    ]);
    await page.fill(`#remove-pause-${pauses[0].id}`, 'reindex done');
    await page.click(`form[aria-label="Remove pause ${pauses[0].id}"] button`);
    await page.locator('.flash', { hasText: 'The pause is removed' }).waitFor();
    expect((await h.request('GET', '/v1/guardrails/pauses', { as: 'audrey' })).body.pauses).toEqual([]);
  });

  it('reviews an incident: every event linked to what caused it and what followed, the trail verified; exports', async () => {
    const id = await r.open('console-review', { labels: { incident_tag: 'console-review-1' } });
    const approval = await r.pendingApproval(id);
    await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'reviewed later' });
    await r.result(id);
    const page = await signedIn('audrey');
    await page.goto(`${h.baseUrl}/console/incidents/${id}/review`);
    // Indexing is asynchronous: the page verifies what is stored, which may take a moment to be complete.
    for (let i = 0; i < 40 && (await page.getAttribute('[data-verified]', 'data-verified')) !== 'intact'; i++) {
      await new Promise((res) => setTimeout(res, 250));
      await page.reload();
    }
    expect(await page.getAttribute('[data-verified]', 'data-verified')).toBe('intact');
    expect(await page.textContent('main')).toMatch(/approval\.granted[\s\S]*followed by/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(DOCS, 'console-review.png'), fullPage: true });
    // The incident review (the postmortem report), linked from the incident page.
    await page.goto(`${h.baseUrl}/console/incidents/${id}`);
    await page.click(`a[href="/console/incidents/${id}/report"]`);
    await page.locator('[aria-label="Decision 1"]').waitFor();
    expect(await page.textContent('[aria-label="Decision 1"]')).toMatch(
      /Bob Approver approved restart-replica-1[\s\S]*reviewed later/,
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    const csv = await page.evaluate(
      async (url) => (await fetch(url)).text(),
      `/console/audit/export?q=${encodeURIComponent('reviewed later')}`,
    );
    expect(csv.split('\n')[0]).toMatch(/^time,incidentId,type/);
    expect(csv).toContain('reviewed later');
  });

  it('adds a rule and a freeze, refuses a freeze that ends before it starts, and removes both', async () => {
    const page = await signedIn('ada');
    await page.goto(`${h.baseUrl}/console/guardrails`);
    await page.fill('#rule-service', 'billing');
    await page.selectOption('#rule-effect', 'manual-only');
    await page.fill('#rule-reason', 'billing is manual this week');
    await page.click('form[aria-label="Add a rule"] button');
    await page.locator('.flash', { hasText: 'Rule added' }).waitFor();
    await page.fill('#freeze-start', '2026-12-24T00:00:00Z');
    await page.fill('#freeze-end', '2026-12-20T00:00:00Z');
    await page.fill('#freeze-reason', 'holidays');
    await page.click('form[aria-label="Add a freeze"] button');
    expect(await page.textContent('main')).toMatch(/start must be before end/);
    await page.goto(`${h.baseUrl}/console/guardrails`);
    await page.fill('#freeze-start', '2026-12-20T00:00:00Z');
    await page.fill('#freeze-end', '2026-12-27T00:00:00Z');
    await page.fill('#freeze-reason', 'holidays');
    await page.click('form[aria-label="Add a freeze"] button');
    await page.locator('.flash', { hasText: 'Freeze declared' }).waitFor();
    const controls = (await h.request('GET', '/v1/guardrails', { as: 'audrey' })).body;
    const rule = controls.rules.find((x: any) => x.selector?.service === 'billing');
    expect(rule).toMatchObject({ effect: 'manual-only', actor: { id: 'ada', channel: 'console' } });
    expect(controls.freezes).toEqual([
      expect.objectContaining({ start: '2026-12-20T00:00:00Z', mode: 'require-approval' }),
    ]);
    for (const [kind, id] of [
      ['rule', rule.id],
      ['freeze', controls.freezes[0].id],
    ]) {
      await page.fill(`#remove-${kind}-${id}`, 'test over');
      await page.click(`form[aria-label="Remove ${kind} ${id}"] button`);
      await page.locator('.flash', { hasText: `The ${kind} is removed` }).waitFor();
    }
    const after = (await h.request('GET', '/v1/guardrails', { as: 'audrey' })).body;
    expect(after.rules.filter((x: any) => x.selector?.service === 'billing')).toEqual([]);
    expect(after.freezes).toEqual([]);
  });
});
