import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { restartPlaybook, startHarness, type Harness, type Person } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startSmtpInbox, type ReceivedMail, type SmtpInbox } from '../support/smtp-inbox.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * Approvals by email, end to end: a real SMTP server receives the mail, the link's pages are
 * served by the gateway, the decision goes through the workflow, and the audit trail shows every
 * attempt. Link scanners (GET/HEAD) must never decide anything.
 */
let target: TargetServer;
let inbox: SmtpInbox;
let h: Harness;
let r: ReturnType<typeof responses>;

const day = (people: string[]) => ({ name: people.join('-'), start: '2026-01-01T00:00', handoff: 'daily', people });
const renamed = (yaml: string, id: string) => yaml.replace('id: restart-replica\n', `id: ${id}\n`);

beforeAll(async () => {
  target = await startTargetServer();
  inbox = await startSmtpInbox();
  h = await startHarness({
    playbooks: {
      'restart.yaml': restartPlaybook(target.url),
      'lead.yaml': renamed(restartPlaybook(target.url, { alertname: 'LeadOnly', tier: 'lead' }), 'lead-only'),
      'expire.yaml': renamed(restartPlaybook(target.url, { alertname: 'Expire', approvalTimeout: '3s' }), 'expire'),
      'dba.yaml': renamed(restartPlaybook(target.url, { alertname: 'DbaOnly', tier: 'sme:postgres' }), 'dba-only'),
    },
    // bob is (wrongly) on call for lead as well: the workflow, not the channel, must refuse him.
    onCall: rotationFileSchema.parse({
      tiers: {
        tier1: { timeZone: 'UTC', layers: [day(['bob'])] },
        lead: { timeZone: 'UTC', layers: [day(['lee']), day(['bob'])] },
        'sme:postgres': { timeZone: 'UTC', layers: [day(['dana'])] },
      },
    }),
    email: { smtpUrl: inbox.url, signInTiers: ['sme:postgres'] },
  });
  r = responses(h);
});
afterAll(async () => {
  await h?.stop();
  await inbox?.close();
  await target?.close();
});

const LINK = /\/v1\/integrations\/email\/decisions\/([A-Za-z0-9_-]{43,})/;
const mailsAbout = (id: string, person?: Person) =>
  inbox.received.filter(
    (m) => m.parsed.headers.get('x-interlock-incident') === id && (!person || m.to.includes(`${person}@example.test`)),
  );
/** The one request mail `person` got about incident `id`, once it arrived. */
async function requestMail(id: string, person: Person): Promise<ReceivedMail & { token: string }> {
  const mail = await vi.waitFor(
    () => {
      const found = mailsAbout(id, person).filter((m) => LINK.test(m.parsed.text ?? ''));
      expect(found).toHaveLength(1);
      return found[0]!;
    },
    { timeout: 10_000, interval: 50 },
  );
  return { ...mail, token: LINK.exec(mail.parsed.text!)![1]! };
}
const pagePath = (token: string) => `/v1/integrations/email/decisions/${token}`;
const post = (token: string, form: Record<string, string>, as?: Person) =>
  h.request('POST', pagePath(token), {
    as,
    rawBody: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
const open = (label: string, alertname?: string) =>
  r.open(label, { labels: { incident_tag: `${label}-tag`, ...(alertname ? { alertname } : {}) } });
/** The audit events of an incident, as auditors search them (indexed asynchronously). */
async function audited(id: string, predicate: (events: any[]) => boolean): Promise<any[]> {
  return vi.waitFor(
    async () => {
      const res = await h.request('GET', `/v1/audit/search?incident=${id}&limit=200`, { as: 'audrey' });
      expect(predicate(res.body.events)).toBe(true);
      return res.body.events as any[];
    },
    { timeout: 15_000, interval: 200 },
  );
}

describe('approvals by email', () => {
  let approvedId: string;
  let approvedToken: string;

  it('mails the on-call approver exactly one message with the whole context and a personal link', async () => {
    const id = await open('mail');
    const approval = await r.pendingApproval(id);
    const mail = await requestMail(id, 'bob');
    const text = mail.parsed.text!;
    for (const expected of [
      'payments-db (prod), severity critical',
      'Replication lag above 30s on payments-db',
      'Diagnostic check-lag: succeeded',
      'http.request',
      'drainSeconds',
      'Restarts the replica',
      'Asked by',
      'tier1',
      '0 of 1 approval(s)',
      approval.expiresAt,
    ])
      expect(text).toContain(expected);
    expect(text).toMatch(/\?decision=approve/);
    expect(text).toMatch(/\?decision=reject/);
    expect(mail.parsed.html).toContain('Restarts the replica');
    expect(mail.parsed.messageId).toMatch(/^<interlock\.[0-9a-f]{40}@example\.test>$/);
    // Only the person on call for tier1 was mailed.
    expect(mailsAbout(id).map((m) => m.to)).toEqual([['bob@example.test']]);
    approvedId = id;
    approvedToken = mail.token;
  });

  it('decides nothing on HEAD and GET, however often a link scanner opens the link', async () => {
    const head = await h.request('HEAD', pagePath(approvedToken));
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (let i = 0; i < 3; i++) {
      const page = await h.request('GET', `${pagePath(approvedToken)}?decision=approve`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.body).toContain('name="reason"');
      expect(page.body).toContain('name="input.drainSeconds"');
      expect(page.body).toContain('Replication lag above 30s on payments-db');
    }
    // A link nobody issued: 404 whatever the method, and nothing to decide.
    const unknown = 'A'.repeat(43);
    expect((await h.request('GET', pagePath(unknown))).status).toBe(404);
    expect((await h.request('HEAD', pagePath(unknown))).status).toBe(404);
    expect((await post(unknown, { decision: 'approve', reason: 'guessing' })).status).toBe(404);
    const s = await r.status(approvedId);
    expect(s.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    expect(r.types(s)).not.toContain('approval.granted');
  });

  it('approves on POST with a reason: the mitigation runs, the page shows who decided and why, the link is spent', async () => {
    const res = await post(approvedToken, {
      decision: 'approve',
      reason: 'lag confirmed by mail',
      'input.drainSeconds': '15',
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Decision recorded');
    expect((await r.result(approvedId)).phase).toBe('completed');
    expect(target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes('mail-tag'))).toEqual([
      expect.objectContaining({ body: expect.stringContaining('"drainSeconds":15') }),
    ]);
    const page = await h.request('GET', pagePath(approvedToken));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Approved by Bob Approver (email): lag confirmed by mail');

    const again = await post(approvedToken, { decision: 'reject', reason: 'second thoughts' });
    expect(again.status).toBe(410);
    expect(again.body).toContain('already been used');
    const s = await r.status(approvedId);
    expect(s.approvals[0].decisions).toHaveLength(1);
    // Granted and refused attempts are both in the audit trail, with the channel.
    const events = await audited(
      approvedId,
      (e) => e.some((x) => x.type === 'approval.granted') && e.some((x) => x.type === 'input.rejected'),
    );
    expect(events.find((x) => x.type === 'approval.granted')).toMatchObject({
      actor: { id: 'bob', channel: 'email', verified: true },
    });
    expect(events.find((x) => x.type === 'input.rejected').summary).toMatch(/already been used/);
    // And the on-call people hear how it ended.
    await vi.waitFor(
      () =>
        expect(mailsAbout(approvedId, 'bob').map((m) => m.parsed.text)).toContainEqual(
          expect.stringContaining('approved by Bob Approver: lag confirmed by mail'),
        ),
      { timeout: 10_000, interval: 50 },
    );
  });

  it('a link decides only its own request, whatever approvalId the form carries', async () => {
    const a = await open('bound-a');
    const b = await open('bound-b');
    const [mailA, mailB] = [await requestMail(a, 'bob'), await requestMail(b, 'bob')];
    const approvalB = await r.pendingApproval(b);
    // Approval ids repeat across responses (restart-replica-1 in both): the incident must come from
    // the link too. A form naming another request (or one that does not exist) changes nothing.
    const res = await post(mailA.token, {
      decision: 'reject',
      reason: 'not this one',
      approvalId: `${approvalB.id}-other`,
      incidentId: b,
    });
    expect(res.status).toBe(200);
    expect((await r.status(a)).approvals[0]).toMatchObject({ state: 'rejected' });
    expect((await r.status(b)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    expect((await post(mailB.token, { decision: 'reject', reason: 'cleaning up' })).status).toBe(200);
  });

  it("shows the workflow's refusal when the person may not decide this tier, and decides nothing", async () => {
    const id = await open('lead', 'LeadOnly');
    const bobs = await requestMail(id, 'bob');
    const res = await post(bobs.token, { decision: 'approve', reason: 'I am not a lead' });
    expect(res.status).toBe(403);
    expect(res.body).toContain('Not decided');
    const s = await r.status(id);
    expect(s.approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    const events = await audited(id, (e) => e.some((x) => x.type === 'input.rejected'));
    expect(events.find((x) => x.type === 'input.rejected')).toMatchObject({ actor: { id: 'bob', channel: 'email' } });
    const lees = await requestMail(id, 'lee');
    expect((await post(lees.token, { decision: 'reject', reason: 'lead says no' })).status).toBe(200);
  });

  it('refuses a form without a reason, a decision or with an input out of bounds with 400 and leaves the link usable', async () => {
    const id = await open('reasonless');
    const { token } = await requestMail(id, 'bob');
    const noReason = await post(token, { decision: 'approve', reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('reason');
    expect((await post(token, { decision: 'maybe', reason: 'a fine reason' })).status).toBe(400);
    const outOfBounds = await post(token, {
      decision: 'approve',
      reason: 'a fine reason',
      'input.drainSeconds': '500',
    });
    expect(outOfBounds.status).toBe(400);
    expect(outOfBounds.body).toContain('drainSeconds must be at most 120');
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    expect((await post(token, { decision: 'reject', reason: 'now with a reason' })).status).toBe(200);
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'rejected' });
  });

  it("refuses an expired request's link with 410", async () => {
    const id = await open('expire', 'Expire');
    const { token } = await requestMail(id, 'bob');
    await r.until(id, (s) => s.approvals[0]?.state === 'expired');
    const res = await post(token, { decision: 'approve', reason: 'too late' });
    expect(res.status).toBe(410);
    expect(res.body).toContain('expired');
    expect((await r.status(id)).approvals[0].decisions).toEqual([]);
    expect(target.received.filter((x) => x.body.includes('expire-tag'))).toEqual([]);
    await audited(id, (e) => e.some((x) => x.type === 'input.rejected' && /expired/.test(x.summary)));
    await vi.waitFor(
      () => expect(mailsAbout(id, 'bob').map((m) => m.parsed.text)).toContainEqual(expect.stringContaining('in time')),
      { timeout: 10_000, interval: 50 },
    );
  });

  it('for EMAIL_SIGNIN_TIERS, needs the same person signed in as well as the link', async () => {
    const id = await open('signin', 'DbaOnly');
    const { token } = await requestMail(id, 'dana');
    const form = { decision: 'approve', reason: 'dba checked the replica' };
    const anonymous = await post(token, form);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('signed in');
    expect((await post(token, form, 'bob')).status).toBe(401);
    expect((await r.status(id)).approvals[0]).toMatchObject({ state: 'pending', decisions: [] });
    const refused = await audited(id, (e) => e.filter((x) => x.type === 'input.rejected').length === 2);
    expect(refused.filter((x) => x.type === 'input.rejected').map((x) => x.actor.id)).toEqual(['dana', 'dana']);
    const signedIn = await post(token, form, 'dana');
    expect(signedIn.status).toBe(200);
    expect((await r.result(id)).phase).toBe('completed');
  });
});
