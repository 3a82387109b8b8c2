import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import type { AnalyticsReport, GroupMetrics } from '../../src/domain/analytics/report.js';
import { CookieBrowser } from '../support/cookie-browser.js';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Analytics over real responses (every test file shares one audit index: this one's responses
 * belong to a team of its own, and every query filters by it).
 */
const run = randomUUID().slice(0, 8);
const TEAM = `analytics-${run}`;
const SEEDED_TEAM = `seeded-${run}`;
const SEEDED = `seeded-${run}`;
const APPROVE = `approve-${run}`;
const EXPIRE = `expire-${run}`;
const AUTO = `auto-${run}`;
const STEP = 'restart-replica';

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;

/** The harness's playbook under another id, owned by the team; approvals come from `lead` (Lee acts for every team). */
function playbook(id: string, opts: Parameters<typeof restartPlaybook>[1]): string {
  return restartPlaybook(target.url, { alertname: id, tier: 'lead', ...opts }).replace(
    '\nid: restart-replica\n',
    `\nid: ${id}\nteam: ${TEAM}\n`,
  );
}

async function report(query: string): Promise<AnalyticsReport> {
  const res = await h.request('GET', `/v1/analytics?${query}`, { as: 'audrey' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const group = (rep: AnalyticsReport, key: GroupMetrics['key']) =>
  rep.groups.find((g) => JSON.stringify(g.key) === JSON.stringify(key));

async function decided(label: string, act: (id: string, approvalId: string) => Promise<unknown>) {
  const id = await r.open(label, { labels: { alertname: APPROVE } });
  const pending = await r.pendingApproval(id);
  await act(id, pending.id);
  await r.result(id);
  return id;
}

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({
    playbooks: {
      'approve.yaml': playbook(APPROVE, {}),
      'expire.yaml': playbook(EXPIRE, { approvalTimeout: '2s', escalation: ['lead'] }),
      'auto.yaml': playbook(AUTO, { policy: '{ mode: auto }' }),
    },
    // The policy file only makes a step stricter: let the automatic one run as its playbook says.
    policy: 'default: { mode: auto }\n',
    console: true,
  });
  r = responses(h);
  // A month of another team's responses, for the recommendations.
  await h.audit.indexEvents(seededEvents());
  const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBe(200);
  // Approved, approved with drainSeconds adjusted, rejected, opted out of the step: one playbook.
  await Promise.all([
    decided('plain', async (id, a) => ok(await r.decide(id, a, 'lee', { decision: 'approve', reason: 'lag seen' }))),
    decided('adjusted', async (id, a) =>
      ok(await r.decide(id, a, 'lee', { decision: 'approve', reason: 'slower drain', inputs: { drainSeconds: 90 } })),
    ),
    decided('rejected', async (id, a) => ok(await r.decide(id, a, 'lee', { decision: 'reject', reason: 'not now' }))),
    decided('opted-out', async (id) =>
      ok(
        await r.post(id, 'opt-out', 'alice', {
          reason: 'doing it by hand',
          scope: { kind: 'step', stepId: STEP },
        }),
      ),
    ),
    // Nobody answers: escalated once, then expired.
    (async () => r.result(await r.open('expire', { labels: { alertname: EXPIRE } })))(),
    // Runs without asking.
    (async () => r.result(await r.open('auto', { labels: { alertname: AUTO } })))(),
  ]);
}, 120_000);
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('analytics over real responses', () => {
  it('counts each outcome per playbook, exactly, and in total', async () => {
    const rep = await report(`team=${TEAM}&groupBy=playbook`);
    expect(rep.groups).toHaveLength(3);
    expect(group(rep, { playbook: APPROVE })).toMatchObject({
      responses: 4,
      automatic: 0,
      approved: 2,
      rejected: 1,
      optedOut: 1,
      expired: 0,
      escalations: 0,
      adjusted: 1,
      adjustedInputs: { drainSeconds: 1 },
      mitigated: 2,
      compensations: 0,
      killSwitchBlocks: 0,
      guardrailBlocks: 0,
    });
    expect(group(rep, { playbook: EXPIRE })).toMatchObject({
      responses: 1,
      approved: 0,
      expired: 1,
      escalations: 1,
      mitigated: 0,
    });
    expect(group(rep, { playbook: AUTO })).toMatchObject({ responses: 1, automatic: 1, approved: 0, mitigated: 1 });
    expect(rep.total).toMatchObject({
      responses: 6,
      automatic: 1,
      approved: 2,
      rejected: 1,
      optedOut: 1,
      expired: 1,
      escalations: 1,
      adjusted: 1,
      mitigated: 3,
    });
    expect(rep.recommendations).toEqual([]);
  });

  it('groups by step, action kind, service and team', async () => {
    const steps = await report(`team=${TEAM}&groupBy=step&playbook=${APPROVE}`);
    expect(steps.groups.map((g) => g.key)).toEqual(
      expect.arrayContaining([
        { playbook: APPROVE, step: STEP },
        { playbook: APPROVE, step: 'check-lag' },
      ]),
    );
    expect(group(steps, { playbook: APPROVE, step: STEP })).toMatchObject({ responses: 4, approved: 2, optedOut: 1 });
    expect(group(steps, { playbook: APPROVE, step: 'check-lag' })).toMatchObject({ responses: 4, approved: 0 });
    const actions = await report(`team=${TEAM}&groupBy=action`);
    expect(actions.groups.map((g) => g.key)).toEqual([{ action: 'http.request' }]);
    expect(actions.groups[0]).toMatchObject({ responses: 6, approved: 2, expired: 1, automatic: 1 });
    const services = await report(`team=${TEAM}&groupBy=service`);
    expect(services.groups).toMatchObject([{ key: { service: 'payments-db' }, responses: 6 }]);
    const teams = await report(`team=${TEAM}&groupBy=team`);
    expect(teams.groups).toMatchObject([{ key: { team: TEAM }, responses: 6 }]);
  });

  it('measures approval latency from the request and from the first notification, as recorded on each decision', async () => {
    const search = await h.request(
      'GET',
      `/v1/audit/search?team=${TEAM}&type=approval.granted&type=approval.rejected&limit=50`,
      { as: 'audrey' },
    );
    const decisions: AuditEvent[] = search.body.events;
    expect(decisions).toHaveLength(3);
    for (const e of decisions) {
      // The request's time and the first notification's, from the response's own status view.
      const status = await r.status(e.incidentId);
      const approval = status.approvals.find((a: { id: string }) => a.id === e.approvalId);
      expect(e.latencyMs).toBe(Date.parse(e.time) - Date.parse(approval.requestedAt));
      expect(e.notifiedLatencyMs).toBe(Date.parse(e.time) - Date.parse(approval.notified[0].at));
      expect(e).toMatchObject({ playbookId: APPROVE, playbookVersion: 3, team: TEAM, tier: 'lead' });
      expect(e.actionKind).toBe('http.request');
    }
    const latencies = decisions.map((e) => e.latencyMs!).sort((a, b) => a - b);
    const rep = await report(`team=${TEAM}&groupBy=playbook&playbook=${APPROVE}`);
    const g = rep.groups[0]!;
    expect(g.approvalLatencyMs.max).toBe(latencies[2]);
    // Percentiles come from HDR histograms with three significant digits (within 0.1%).
    expect(g.approvalLatencyMs.p50).toBeGreaterThanOrEqual(Math.floor(latencies[0]! * 0.999));
    expect(g.approvalLatencyMs.p95).toBeLessThanOrEqual(Math.ceil(latencies[2]! * 1.001));
    expect(g.notifiedLatencyMs.p50).not.toBeNull();
    expect(g.timeToMitigateMs.p50).toBeGreaterThan(0);
    const adjusted = decisions.find((e) => e.reason === 'slower drain');
    expect(adjusted?.adjustedInputs).toEqual(['drainSeconds']);
  });

  it('refuses a bad time range or an unknown grouping with 400 and a message that names it', async () => {
    const bad = async (query: string) => {
      const res = await h.request('GET', `/v1/analytics?${query}`, { as: 'audrey' });
      expect(res.status).toBe(400);
      return res.body.error.message as string;
    };
    expect(await bad('groupBy=colour')).toMatch(/groupBy: one of playbook, step, action, service, team/);
    expect(await bad('from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z')).toMatch(/from must be before to/);
    expect(await bad('from=yesterday')).toMatch(/from: an ISO 8601 time/);
    expect(await bad('from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')).toMatch(/at most 400 days/);
    expect(await bad('colour=blue')).toMatch(/colour/);
  });
});

/** Events as a month of responses would have left them (indexed straight into the trail). */
function seededEvents(): AuditEvent[] {
  const events: AuditEvent[] = [];
  const base = Date.now() - 3_600_000;
  let n = 0;
  /** One event, of a response of its own unless `workflow` names an earlier one's; returns its response. */
  const add = (step: string, type: AuditEvent['type'], extra: Partial<AuditEvent> = {}, workflow?: number) => {
    n += 1;
    const w = workflow ?? n;
    events.push({
      eventId: `seeded-${run}-${n}`,
      sequence: 1,
      time: new Date(base + n * 1000).toISOString(),
      incidentId: `seed-${run}-${w}`,
      workflowId: `incident-seed-${run}-${w}`,
      type,
      actor: { id: 'lee', name: 'Lee Lead', channel: 'api' },
      summary: `${type} ${step}`,
      service: 'checkout',
      environment: 'prod',
      severity: 'critical',
      stepId: step,
      playbookId: SEEDED,
      playbookVersion: 1,
      team: SEEDED_TEAM,
      actionKind: 'http.request',
      ...extra,
    });
    return w;
  };
  const approved = (latencyMs: number, extra: Partial<AuditEvent> = {}) => ({
    outcome: 'approved',
    latencyMs,
    ...extra,
  });
  // Approved 12 of 12 times within 40 s.
  for (let i = 0; i < 12; i++) add('flush-cache', 'approval.granted', approved(20_000 + i * 1_500 + 3_500));
  // Opted out of in 3 of 8 responses.
  for (let i = 0; i < 8; i++) {
    const w = add('failover', 'policy.decided', { outcome: 'approval' });
    if (i < 3) add('failover', 'optout.engaged', { outcome: 'halt-now' }, w);
  }
  // 4 requests expired.
  for (let i = 0; i < 4; i++) add('scale-out', 'approval.expired', { outcome: 'expired' });
  // drainSeconds adjusted in 7 of 10 approvals (and one rejection, so no "automatic" candidate).
  for (let i = 0; i < 10; i++)
    add('drain', 'approval.granted', approved(300_000, i < 7 ? { adjustedInputs: ['drainSeconds'] } : {}));
  add('drain', 'approval.rejected', { outcome: 'rejected', latencyMs: 10_000 });
  // Blocks and compensations.
  add('drain', 'mitigation.blocked', { guardrail: 'kill-switch' });
  add('drain', 'guardrail.halted', { guardrail: 'kill-switch' });
  add('drain', 'mitigation.blocked', { guardrail: 'freeze' });
  add('drain', 'mitigation.blocked', { guardrail: 'other' });
  add('drain', 'mitigation.compensated', {});
  return events;
}

describe('recommendations', () => {
  it('appear with their evidence and a link to it, and are only suggestions', async () => {
    const rep = await report(`team=${SEEDED_TEAM}&groupBy=team`);
    expect(rep.total).toMatchObject({ killSwitchBlocks: 2, guardrailBlocks: 1, compensations: 1, expired: 4 });
    expect(rep.total.approvalLatencyMs.max).toBe(300_000);
    // Twelve decisions 23.5 s to 40 s apart by 1.5 s: the 6th is the median, the 12th the 95th percentile.
    const steps = await report(`team=${SEEDED_TEAM}&groupBy=step`);
    const flush = group(steps, { playbook: SEEDED, step: 'flush-cache' })!.approvalLatencyMs;
    expect(Math.abs(flush.p50! - 31_000)).toBeLessThanOrEqual(31);
    expect(Math.abs(flush.p95! - 40_000)).toBeLessThanOrEqual(40);
    expect(flush.max).toBe(40_000);
    const byKind = Object.fromEntries(rep.recommendations.map((x) => [`${x.kind}:${x.step}`, x]));
    expect(Object.keys(byKind).sort()).toEqual([
      'automate-with-objection-window:flush-cache',
      'change-default:drain',
      'review-step:failover',
      'routing-or-staffing:scale-out',
    ]);
    expect(byKind['automate-with-objection-window:flush-cache']!.message).toBe(
      `${SEEDED}/flush-cache: approved 12 of 12 times within 40 s over 30 days: candidate for automatic with an objection window`,
    );
    expect(byKind['review-step:failover']!.message).toBe(
      `${SEEDED}/failover: opted out in 38% of runs (3 of 8): review this step`,
    );
    expect(byKind['routing-or-staffing:scale-out']!.message).toBe(
      `${SEEDED}/scale-out: 4 requests expired unanswered: check routing or staffing`,
    );
    expect(byKind['change-default:drain']).toMatchObject({
      parameter: 'drainSeconds',
      message: `${SEEDED}/drain: drainSeconds adjusted in 70% of approvals (7 of 10): change the default`,
      evidence: { adjusted: 7, approved: 10 },
    });
    // The evidence link finds the events the finding counts.
    const link = byKind['review-step:failover']!.links;
    const evidence = await h.request('GET', link.api, { as: 'audrey' });
    expect(evidence.status).toBe(200);
    expect(evidence.body.total).toBe(3);
    expect(link.console).toContain(`/console/audit?playbook=${SEEDED}&step=failover&`);
  });
});

describe('interlock analytics (the CLI)', () => {
  const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/interlock.js');
  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, 'analytics', ...args], {
      env: { ...process.env, INTERLOCK_URL: h.baseUrl, INTERLOCK_TOKEN: h.tokens.audrey },
    }).then(
      (done) => ({ code: 0, ...done }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

  it('prints the same report as a table, or as the API JSON, and refuses an unknown grouping', async () => {
    const json = await cli(['--team', TEAM, '--group-by', 'playbook', '--days', '7', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const rep = JSON.parse(json.stdout) as AnalyticsReport;
    expect(group(rep, { playbook: APPROVE })).toMatchObject({ responses: 4, approved: 2, rejected: 1, optedOut: 1 });
    const text = await cli(['--team', TEAM, '--group-by', 'playbook']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^PLAYBOOK\s+RESP\s+AUTO\s+APPR\s+REJ\s+OPTOUT\s+EXP\s+ESC\s+ADJ/);
    expect(lines.find((l) => l.startsWith(APPROVE))).toMatch(
      new RegExp(`^${APPROVE}\\s+4\\s+0\\s+2\\s+1\\s+1\\s+0\\s+0\\s+1\\s`),
    );
    expect(lines.find((l) => l.startsWith('total'))).toMatch(/^total\s+6\s+1\s+2\s+1\s+1\s+1\s+1\s+1\s/);
    const usage = await cli(['--group-by', 'colour']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/colour/);
    const refused = await cli(['--from', '2026-12-02T00:00:00Z', '--to', '2026-12-01T00:00:00Z']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/from must be before to/);
  });
});

describe('the console page', () => {
  async function signedIn(as: Person) {
    const browser = new CookieBrowser();
    const hop = await browser.request('POST', `${h.baseUrl}/console/sign-in`, {
      token: h.tokens[as],
      returnTo: '/console',
    });
    expect(hop.status).toBe(303);
    return browser;
  }

  it('shows the report and the recommendations with links to their evidence, to readers only', async () => {
    const audrey = await signedIn('audrey');
    const page = await audrey.request('GET', `${h.baseUrl}/console/analytics?groupBy=playbook&team=${TEAM}`);
    expect(page.status).toBe(200);
    const row = page.body.slice(page.body.indexOf(`<th scope="row">${APPROVE}</th>`));
    const cells = [...row.slice(0, row.indexOf('</tr>')).matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    // Responses, automatic, approved, rejected, opted out, expired, escalations, adjusted, mitigated.
    expect(cells.slice(0, 9)).toEqual(['4', '0', '2', '1', '1', '0', '0', '1', '2']);
    const seeded = await audrey.request('GET', `${h.baseUrl}/console/analytics?team=${SEEDED_TEAM}`);
    expect(seeded.body).toContain('drainSeconds adjusted in 70% of approvals (7 of 10): change the default');
    const evidence = /<a href="(\/console\/audit\?playbook=[^"]*step=failover[^"]*)">Evidence<\/a>/.exec(seeded.body);
    expect(evidence).not.toBeNull();
    const events = await audrey.request('GET', `${h.baseUrl}${evidence![1]!.replaceAll('&#38;', '&')}`);
    expect(events.status).toBe(200);
    expect(events.body).toContain('<p>3 events</p>');
    const bad = await audrey.request('GET', `${h.baseUrl}/console/analytics?groupBy=colour`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/groupBy: one of playbook, step/);
    const source = await signedIn('alertmanager');
    expect((await source.request('GET', `${h.baseUrl}/console/analytics`)).status).toBe(403);
  });
});
