import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureChromium } from '../../scripts/stack/chromium.js';
import { optOutSignal } from '../../src/contracts/incident-response.js';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import type { IncidentReview } from '../../src/domain/review/report.js';
import { CookieBrowser } from '../support/cookie-browser.js';
import { alertmanagerWebhook, startHarness, uniqueGroupKey, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * The incident review of one response that has it all: a request nobody in tier1 answered
 * (reminded, then escalated to the lead, who approved it through the CLI channel with an adjusted
 * input), the alert resolving after the mitigation, a rejection, a step blocked by a guardrail
 * and opted out of from the Temporal UI, a request left unanswered, and an emergency stop whose
 * compensation undid the mitigation. Its report must state each fact as the trail recorded it,
 * in JSON, Markdown, the console and a real PDF.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let id: string;
let review: IncidentReview;
let openReview: IncidentReview;
let trail: Array<{ eventId: string; type: string; time: string; approvalId?: string; stepId?: string }>;

function playbook(url: string) {
  const post = (p: string, indent = 6) =>
    ['', 'method: POST', `url: ${url}${p}`, 'timeout: 5s'].join(`\n${' '.repeat(indent)}`);
  return `
id: review-drill
version: 1
match:
  labels:
    alertname: ReviewDrill
steps:
  - id: check-lag
    kind: diagnostic
    action: http.request
    params:
      method: GET
      url: ${url}/diagnostics/lag
  - id: restart-replica
    kind: mitigation
    action: http.request
    inputs:
      drainSeconds: { type: integer, default: 30, min: 0, max: 120 }
    params:${post('/mitigations/restart')}
      body: { drainSeconds: "{{inputs.drainSeconds}}" }
    policy: { mode: approval, tier: tier1, timeout: 5s, remindAfter: 1s, escalation: [lead] }
    compensation:
      action: http.request
      params:${post('/mitigations/undo-restart', 8)}
  - id: scale-out
    kind: mitigation
    action: http.request
    params:${post('/mitigations/scale')}
    policy: { mode: approval, tier: tier1, timeout: 5m }
  - id: drain-traffic
    kind: mitigation
    action: shell.command
    params: { command: ["true"] }
  - id: page-dba
    kind: mitigation
    action: http.request
    params:${post('/mitigations/page')}
    policy: { mode: approval, tier: tier1, timeout: 5m }
`;
}

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: { 'drill.yaml': playbook(target.url) },
    standingRules: [
      { id: 'no-shell', selector: { action: 'shell.command' }, effect: 'block', reason: 'shell runbooks are manual' },
    ],
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: {
          timeZone: 'UTC',
          // Two layers: both are on call at once.
          layers: [
            { name: 'primary', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob'] },
            { name: 'secondary', start: '2026-01-01T00:00', handoff: 'daily', people: ['erin'] },
          ],
        },
        lead: {
          timeZone: 'UTC',
          layers: [{ name: 'all', start: '2026-01-01T00:00', handoff: 'daily', people: ['lee'] }],
        },
      },
    }),
    console: true,
    chromiumPath: ensureChromium((m) => console.log(`[browser] ${m}`)),
  });
  r = responses(h);
  id = await drill();
}, 120_000);
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Runs the response described above; returns its incident ID once its trail is stored. */
async function drill(): Promise<string> {
  const groupKey = uniqueGroupKey('review');
  const labels = { alertname: 'ReviewDrill', incident_tag: 'review-1' };
  const opened = await h.request('POST', '/v1/alerts/alertmanager', {
    as: 'alertmanager',
    body: alertmanagerWebhook(groupKey, { labels }),
  });
  const incident: string = opened.body.incidentId;
  // Nobody in tier1 answers: reminded after 1 s, escalated to the lead after 5 s.
  const escalated = await r.until(
    incident,
    (s) => s.approvals[0]?.tier === 'lead' && s.approvals[0]?.notified?.length === 3,
  );
  const decided = await r.decide(incident, escalated.approvals[0].id, 'lee', {
    decision: 'approve',
    reason: 'lag is still climbing; drain longer | to be safe',
    inputs: { drainSeconds: 45 },
  });
  expect(decided.status).toBe(200);
  await r.until(incident, (s) => s.steps.find((x: any) => x.id === 'restart-replica')?.state === 'succeeded');
  const resolved = await h.request('POST', '/v1/alerts/alertmanager', {
    as: 'alertmanager',
    body: alertmanagerWebhook(groupKey, { labels, status: 'resolved' }),
  });
  expect(resolved.status).toBe(202);
  const scale = await r.until(incident, (s) =>
    s.approvals.some((a: any) => a.stepId === 'scale-out' && a.notified?.length),
  );
  const scaleId = scale.approvals.find((a: any) => a.stepId === 'scale-out').id;
  expect(
    (await r.decide(incident, scaleId, 'bob', { decision: 'reject', reason: 'traffic is already dropping' })).status,
  ).toBe(200);
  await r.until(incident, (s) => s.phase === 'blocked');
  // From the Temporal UI: a signal, unsigned (stopping is open).
  await h.client.workflow.getHandle(`incident-${incident}`).signal(optOutSignal, {
    scope: { kind: 'step', stepId: 'drain-traffic' },
    mode: 'halt-now',
    reason: 'we drain by hand today',
    actor: { id: 'alice', name: 'Alice Responder', channel: 'temporal-ui', roles: [], groups: [], teams: [] },
  });
  await r.until(incident, (s) => s.approvals.some((a: any) => a.stepId === 'page-dba' && a.notified?.length));
  // While the response runs, the review adds what it waits for now (from its status).
  openReview = (await h.request('GET', `/v1/incidents/${incident}/review`, { as: 'audrey' })).body;
  expect((await r.post(incident, 'cancel', 'lee', { reason: 'handing over to the DBA on the phone' })).status).toBe(
    202,
  );
  await r.result(incident).catch(() => undefined);
  await vi.waitFor(
    async () => {
      const res = await h.request('GET', `/v1/incidents/${incident}/review`, { as: 'audrey' });
      expect(res.body.outcome).toBe('cancelled');
      expect(res.body.compensations).toHaveLength(1);
      review = res.body;
    },
    { timeout: 20_000, interval: 250 },
  );
  trail = (await h.request('GET', `/v1/incidents/${incident}/timeline`, { as: 'audrey' })).body.events;
  return incident;
}

const at = (type: string, where: (e: (typeof trail)[number]) => boolean = () => true) =>
  Date.parse(trail.find((e) => e.type === type && where(e))!.time);

describe('the incident review', () => {
  it('states each decision: who, channel, when, latencies from the recorded times, reason, inputs, what followed', () => {
    expect(
      review.decisions.map((d) => [d.actor.id, d.actor.channel, d.verb, d.approvalId ?? d.stepId ?? null]),
    ).toEqual([
      ['lee', 'api', 'approved', 'restart-replica-1'],
      ['bob', 'api', 'rejected', 'scale-out-1'],
      ['alice', 'temporal-ui', 'opted out', 'drain-traffic'],
      ['lee', 'api', 'requested an emergency stop', null],
    ]);
    const [approve, reject, optOut, stop] = review.decisions;
    const restart = (e: { approvalId?: string }) => e.approvalId === 'restart-replica-1';
    expect(approve).toMatchObject({
      reason: 'lag is still climbing; drain longer | to be safe',
      adjustedInputs: { drainSeconds: 45 },
      inputs: { drainSeconds: 45 },
      sinceRequestMs: at('approval.granted') - at('approval.requested', restart),
      sinceFirstNotificationMs: at('approval.granted') - at('notification.delivered', restart),
      sinceOpenedMs: at('approval.granted') - at('response.opened'),
      stepOutcome: { type: 'mitigation.succeeded', stepId: 'restart-replica' },
      resolvedAfter: {
        type: 'alert.joined',
        outcome: 'resolved',
        afterMs: at('alert.joined') - at('approval.granted'),
      },
    });
    // Escalated after 5 s of silence: the latency says so.
    expect(approve!.sinceRequestMs).toBeGreaterThanOrEqual(5000);
    expect(approve!.followedBy[0]).toMatchObject({ type: 'mitigation.started', stepId: 'restart-replica' });
    const scale = (e: { approvalId?: string }) => e.approvalId === 'scale-out-1';
    expect(reject).toMatchObject({
      reason: 'traffic is already dropping',
      sinceRequestMs: at('approval.rejected') - at('approval.requested', scale),
      sinceFirstNotificationMs: at('approval.rejected') - at('notification.delivered', scale),
      stepOutcome: { type: 'step.skipped', stepId: 'scale-out' },
    });
    // The trail records no event for a step an opt-out skips: what followed is the next step asking.
    expect(optOut).toMatchObject({ reason: 'we drain by hand today', stepId: 'drain-traffic' });
    expect(optOut!.followedBy[0]).toMatchObject({ type: 'approval.requested', stepId: 'page-dba' });
    expect(stop).toMatchObject({ reason: 'handing over to the DBA on the phone' });
    expect(stop!.followedBy.map((f) => f.type)).toContain('response.cancelled');
  });

  it('lists requests with the reminder and escalation, who never answered, the guardrail block and the compensation', () => {
    const [restart, scale, page] = review.requests;
    expect(restart).toMatchObject({ approvalId: 'restart-replica-1', outcome: 'granted' });
    expect(restart!.reminders).toHaveLength(1);
    expect(restart!.escalations).toEqual([
      expect.objectContaining({ summary: expect.stringContaining('to tier lead') }),
    ]);
    expect(restart!.notifications.map((n) => [n.kind, n.tier, n.people])).toEqual([
      ['approval.requested', 'tier1', ['bob', 'erin']],
      ['approval.reminder', 'tier1', ['bob', 'erin']],
      ['approval.escalated', 'lead', ['lee']],
      ['approval.decided', 'lead', ['lee']],
    ]);
    expect(scale).toMatchObject({ approvalId: 'scale-out-1', outcome: 'rejected' });
    expect(page).toMatchObject({ approvalId: 'page-dba-1', stepId: 'page-dba' });
    expect(review.unanswered.map((u) => [u.person, u.approvalId, u.actedElsewhere])).toEqual([
      ['bob', 'restart-replica-1', true],
      ['erin', 'restart-replica-1', false],
      ['erin', 'scale-out-1', false],
      ['bob', 'page-dba-1', true],
      ['erin', 'page-dba-1', false],
    ]);
    expect(review.guardrailBlocks).toEqual([
      expect.objectContaining({
        type: 'mitigation.blocked',
        stepId: 'drain-traffic',
        summary: expect.stringContaining('no-shell'),
      }),
    ]);
    expect(review.compensations).toEqual([
      expect.objectContaining({
        stepId: 'restart-replica',
        ok: true,
        cause: expect.objectContaining({ type: 'response.cancelled' }),
      }),
    ]);
    expect(target.received.filter((x) => x.path === '/mitigations/undo-restart')).toHaveLength(1);
    // The timeline is the stored trail, in order, each event once.
    expect(review.timeline.map((e) => e.eventId)).toEqual(trail.map((e) => e.eventId));
    expect(review).toMatchObject({
      outcome: 'cancelled',
      durationMs: at('response.cancelled') - at('response.opened'),
    });
  });

  it('says, while the response runs, what it waits for and from whom', () => {
    expect(openReview.outcome).toBe('open');
    expect(openReview.endedAt).toBeUndefined();
    expect(openReview.live).toMatchObject({
      phase: 'awaiting-approval',
      waitingFor: [{ approvalId: 'page-dba-1', stepId: 'page-dba', tier: 'tier1', people: ['bob', 'erin'] }],
    });
    expect(openReview.requests.find((q) => q.approvalId === 'page-dba-1')?.outcome).toBe('pending');
  });

  it('renders the same facts as Markdown for the postmortem', async () => {
    const res = await h.request('GET', `/v1/incidents/${id}/review?format=md`, { as: 'audrey' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/markdown/);
    const md: string = res.body;
    const approve = review.decisions[0]!;
    expect(md).toContain('### 1. Lee Lead approved restart-replica-1');
    expect(md).toContain(`- Who: Lee Lead (\`lee\`) through api, at ${approve.time.replace('T', ' ')}`);
    expect(md).toContain('- Reason: “lag is still climbing; drain longer | to be safe”');
    expect(md).toContain('- Adjusted inputs: drainSeconds = 45');
    expect(md).toContain('### 3. Alice Responder opted out drain-traffic');
    expect(md).toMatch(/- erin: scale-out-1 \(scale-out\), notified .*; the request was rejected/);
    expect(md).toMatch(/- .* mitigation\.compensated: Compensation for restart-replica ran, after response\.cancelled/);
    expect(md).toMatch(/- .* mitigation\.blocked: drain-traffic waits: exclusion rule no-shell/);
    // A reason's pipe cannot split a timeline row.
    expect(md).toContain('“lag is still climbing; drain longer \\| to be safe”');
  });

  it('prints a real PDF whose text carries the facts', async () => {
    const res = await fetch(`${h.baseUrl}/v1/incidents/${id}/review?format=pdf`, {
      headers: { authorization: `Bearer ${h.tokens.audrey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-pdf-'));
    const file = path.join(dir, 'review.pdf');
    fs.writeFileSync(file, pdf);
    // To look at it as a person would (pdftoppm -png): REVIEW_PDF_COPY=/some/file.pdf
    if (process.env.REVIEW_PDF_COPY) fs.copyFileSync(file, process.env.REVIEW_PDF_COPY);
    const pdftotext = process.env.PDFTOTEXT ?? which('pdftotext');
    if (!pdftotext) {
      console.warn('pdftotext is not installed (poppler-utils): the PDF text is not checked');
      expect(pdf.toString('latin1')).toMatch(/\/Type\s*\/Page\b/);
      return;
    }
    const text = execFileSync(pdftotext, ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain(`Incident review`);
    expect(text).toContain(id);
    expect(text).toContain('Lee Lead approved restart-replica-1');
    expect(text).toContain('drainSeconds = 45');
    expect(text).toContain('lag is still climbing; drain longer | to be safe');
    expect(text).toContain('Notified, never answered');
    expect(text).toMatch(/Compensation for restart-replica ran/);
    expect(text).toMatch(/ 1 ?\/ ?\d+ /); // page numbers in the footer
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the review in the console, with its downloads, linked from the incident page', async () => {
    const browser = new CookieBrowser();
    const signIn = await browser.request('POST', `${h.baseUrl}/console/sign-in`, {
      token: h.tokens.audrey,
      returnTo: '/console',
    });
    expect(signIn.status).toBe(303);
    const incident = await browser.request('GET', `${h.baseUrl}/console/incidents/${id}`);
    expect(incident.body).toContain(`href="/console/incidents/${id}/report"`);
    const page = await browser.request('GET', `${h.baseUrl}/console/incidents/${id}/report`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Lee Lead approved restart-replica-1');
    expect(page.body).toContain('data-unanswered="erin"');
    expect(page.body).toContain('lag is still climbing; drain longer | to be safe');
    const md = await browser.request('GET', `${h.baseUrl}/console/incidents/${id}/report.md`);
    expect(md.body).toContain('## Notified, never answered');
    const pdf = await browser.request('GET', `${h.baseUrl}/console/incidents/${id}/report.pdf`);
    expect([pdf.status, pdf.headers.get('content-type'), pdf.body.slice(0, 5)]).toEqual([
      200,
      'application/pdf',
      '%PDF-',
    ]);
  });

  it('writes the Markdown and the PDF from the CLI', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-cli-'));
    // Asynchronous: the gateway runs in this process, a synchronous child would starve it.
    const cli = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'interlock.js'), ...args], {
          cwd: ROOT,
          env: { ...process.env, HOME: dir, INTERLOCK_URL: h.baseUrl, INTERLOCK_TOKEN: h.tokens.audrey },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const md = await cli(['review', id]);
    expect([md.status, md.stderr]).toEqual([0, '']);
    expect(md.stdout).toContain('### 2. Bob Approver rejected scale-out-1');
    const out = path.join(dir, 'review.pdf');
    const pdf = await cli(['review', id, '--out', out]);
    expect(pdf.status).toBe(0);
    expect(fs.readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await cli(['review', id, '--format', 'pdf'])).status).toBe(2); // a PDF needs --out
    expect((await cli(['review', 'am-000000000000000000000000'])).status).toBe(4);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 for an unknown incident and 400 for a format it does not know', async () => {
    const unknown = await h.request('GET', '/v1/incidents/am-000000000000000000000000/review', { as: 'audrey' });
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'not_found']);
    const bad = await h.request('GET', `/v1/incidents/${id}/review?format=docx`, { as: 'audrey' });
    expect([bad.status, bad.body.error?.code]).toEqual([400, expect.any(String)]);
    expect(JSON.stringify(bad.body)).toContain('format');
  });
});

function which(cmd: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}
