/**
 * The safety rule as a property: random sequences and timings of human inputs against the real
 * workflow, judged only from what the mitigation target observed (which requests arrived, when,
 * and whether they completed or were aborted) and from what each caller was told (status and
 * time of every acknowledgement). Shared by the vitest property test and `npm run safety`.
 */
import * as msg from '../../src/contracts/incident-response.js';
import fc from 'fast-check';
import { restartPlaybook, type Interlock, type Person } from '../support/interlock.js';
import { responses } from '../support/responses.js';
import type { TargetServer } from '../support/target-server.js';

export type Command =
  | { kind: 'approve'; as: 'bob' | 'erin' | 'dana' | 'alice' | 'lee'; adjust: boolean; delayMs: number }
  | { kind: 'reject'; as: 'bob' | 'erin'; delayMs: number }
  | {
      kind: 'optOut';
      mode: 'halt-now' | 'finish-current-step' | 'hand-over';
      scope: 'response' | 'step' | 'action';
      delayMs: number;
    }
  | { kind: 'optIn'; delayMs: number }
  | { kind: 'skip'; delayMs: number }
  | { kind: 'setInputs'; delayMs: number }
  | { kind: 'cancel'; delayMs: number }
  | { kind: 'killSwitch'; delayMs: number }
  | { kind: 'release'; delayMs: number }
  /** A scoped pause on this response (or, not matching, on another), optionally expiring by itself. */
  | { kind: 'pause'; matches: boolean; expiresInMs: number | null; delayMs: number }
  | { kind: 'unpause'; delayMs: number }
  /** A change freeze on this response, active from now for durationMs: blocking, or needing the lead tier. */
  | { kind: 'freeze'; mode: 'block' | 'require-approval'; durationMs: number; delayMs: number }
  | { kind: 'unfreeze'; delayMs: number }
  /** An approval sent straight to Temporal (Temporal UI, CLI): no gateway signature. */
  | { kind: 'forge'; as: 'erin' | 'lee' | 'ghost'; via: 'signal' | 'update'; delayMs: number };

export interface Scenario {
  quorum: 1 | 2;
  commands: Command[];
}

const delay = fc.integer({ min: 0, max: 350 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      as: fc.constantFrom('erin' as const, 'lee' as const, 'ghost' as const),
      via: fc.constantFrom('signal' as const, 'update' as const),
      delayMs: delay,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      as: fc.constantFrom('bob' as const, 'erin' as const, 'dana' as const, 'alice' as const, 'lee' as const),
      adjust: fc.boolean(),
      delayMs: delay,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reject' as const),
      as: fc.constantFrom('bob' as const, 'erin' as const),
      delayMs: delay,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('optOut' as const),
      mode: fc.constantFrom('halt-now' as const, 'finish-current-step' as const, 'hand-over' as const),
      scope: fc.constantFrom('response' as const, 'step' as const, 'action' as const),
      delayMs: delay,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('optIn' as const), delayMs: delay }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skip' as const), delayMs: delay }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setInputs' as const), delayMs: delay }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), delayMs: delay }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('killSwitch' as const), delayMs: delay }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), delayMs: delay }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      matches: fc.boolean(),
      expiresInMs: fc.option(fc.integer({ min: 200, max: 2500 })),
      delayMs: delay,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpause' as const), delayMs: delay }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('freeze' as const),
      mode: fc.constantFrom('block' as const, 'require-approval' as const),
      durationMs: fc.integer({ min: 300, max: 3000 }),
      delayMs: delay,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unfreeze' as const), delayMs: delay }) },
);
export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  quorum: fc.constantFrom(1 as const, 2 as const),
  commands: fc.array(command, { minLength: 1, maxLength: 7 }),
});

/** Approvals time out quickly so expiry races happen within a run. */
export const APPROVAL_TIMEOUT_MS = 1200;
/** A mitigation takes this long unless interrupted, so halts have something to interrupt. */
export const MITIGATION_MS = 1500;
/** A halt acknowledged this long before a running mitigation would finish must abort it. */
export const HALT_BUDGET_MS = 500;

export function safetyPlaybooks(targetUrl: string): Record<string, string> {
  const pb = (q: number) =>
    restartPlaybook(targetUrl, {
      alertname: `SafetyQ${q}`,
      approvers: q,
      approvalTimeout: `${APPROVAL_TIMEOUT_MS}ms`,
    }).replace('id: restart-replica\n', `id: safety-q${q}\n`);
  return { 'safety-q1.yaml': pb(1), 'safety-q2.yaml': pb(2) };
}

interface Sent {
  command: Command;
  sentAt: number;
  ackAt: number;
  status: number;
  approvalId?: string;
  expiresAt?: number;
  /** A pause or freeze this created: its ID, and when it ends by itself (ms), if it does. */
  control?: { id: string; endsAt?: number };
  /** The pause or freeze this removes. */
  removes?: string;
}

let counter = 0;

/** Per input kind: how many were sent and how many acknowledged with a 2xx (what a run exercised). */
export type InputTally = Record<string, { sent: number; accepted: number }>;

/** Run one scenario; returns the violated claims (empty when the rule held). */
export async function runScenario(
  h: Interlock,
  target: TargetServer,
  scenario: Scenario,
  tally: InputTally = {},
): Promise<string[]> {
  const r = responses(h);
  const tag = `safety-${process.pid}-${++counter}-${Date.now()}`;
  const id = await r.open(tag, { labels: { alertname: `SafetyQ${scenario.quorum}`, incident_tag: tag } });
  // The first approval request exists (under load it may already have expired, after only
  // 1.2 s, before a poll sees it pending: the scenario still runs, its approvals are refused).
  await r.until(id, (s) => (s.approvals?.length ?? 0) > 0);

  const sent: Sent[] = [];
  const live = { pause: [] as string[], freeze: [] as string[] };
  for (const c of scenario.commands) {
    await sleep(c.delayMs);
    const entry: Sent = { command: c, sentAt: 0, ackAt: 0, status: 0 };
    if (c.kind === 'approve' || c.kind === 'reject' || c.kind === 'forge') {
      const pending = (await r.status(id)).approvals?.find((a: any) => a.state === 'pending');
      entry.approvalId = pending?.id ?? 'restart-replica-1';
      entry.expiresAt = pending ? Date.parse(pending.expiresAt) : undefined;
    }
    // Lift the newest of this run's pauses (or freezes); with none, a made-up ID (a 404).
    if (c.kind === 'unpause') entry.removes = live.pause.pop() ?? 'pause-none';
    if (c.kind === 'unfreeze') entry.removes = live.freeze.pop() ?? 'freeze-none';
    entry.sentAt = Date.now();
    const res = await send(h, id, c, {
      approvalId: entry.approvalId,
      removes: entry.removes,
      tag,
      sentAt: entry.sentAt,
      n: sent.length,
    });
    entry.status = res.status;
    entry.ackAt = Date.now();
    if ((c.kind === 'pause' || c.kind === 'freeze') && res.status === 201) {
      const made = (c.kind === 'pause' ? res.body.pauses : res.body.freezes).find(
        (x: any) => x.reason === controlReason(tag, sent.length),
      );
      entry.control = {
        id: made.id,
        endsAt:
          c.kind === 'pause'
            ? c.expiresInMs === null
              ? undefined
              : entry.sentAt + c.expiresInMs
            : entry.sentAt + c.durationMs,
      };
      live[c.kind].push(made.id);
    }
    sent.push(entry);
    const count = (tally[c.kind] ??= { sent: 0, accepted: 0 });
    count.sent++;
    if (res.status >= 200 && res.status < 300) count.accepted++;
  }

  // Let it settle, then close whatever is still open, and wait for every request to finish.
  await sleep(400);
  const handle = h.client.workflow.getHandle(`incident-${id}`);
  if ((await handle.describe()).status.name === 'RUNNING')
    await r.post(id, 'resolve', 'alice', { summary: 'safety run over' });
  await handle.result().catch(() => undefined);
  // Controls are per Interlock (its control workflow): leave nothing engaged for the next run.
  // Only now that the response has ended: lifting them first could let it start a mitigation
  // that no command of the scenario released.
  if (sent.some((x) => x.command.kind === 'killSwitch' && x.status === 200))
    await send(h, id, { kind: 'release', delayMs: 0 });
  for (const [kind, ids] of Object.entries(live)) {
    for (const controlId of ids)
      await h.request('DELETE', `/v1/guardrails/${kind === 'pause' ? 'pauses' : 'freezes'}/${controlId}`, {
        as: 'ada',
        body: { reason: 'safety run over' },
      });
  }
  const mine = () => target.received.filter((x) => x.path === '/mitigations/restart' && x.body.includes(tag));
  await target.waitFor(() => mine().every((m) => m.answered || m.aborted), 5_000).catch(() => undefined);
  const violations = judge(
    scenario,
    sent,
    mine().map((m) => ({ ...m })),
  );
  if (violations.length && process.env.SAFETY_DEBUG)
    console.error(JSON.stringify({ id, scenario, sent, arrivals: mine() }, null, 1));
  return violations;
}

const controlReason = (tag: string, n: number) => `safety run ${tag} #${n}`;

function send(
  h: Interlock,
  id: string,
  c: Command,
  at: { approvalId?: string; removes?: string; tag?: string; sentAt?: number; n?: number } = {},
) {
  const as: Person = 'alice';
  const { approvalId, removes, tag = '', sentAt = Date.now(), n = 0 } = at;
  const thisResponse = { labels: { incident_tag: tag } };
  switch (c.kind) {
    case 'forge': {
      // What anyone who reaches the namespace can send: a declared approver, unsigned.
      const groups = c.as === 'lee' ? ['lead'] : ['tier1'];
      const forged = {
        approvalId: approvalId ?? 'restart-replica-1',
        decision: 'approve' as const,
        reason: 'forged approval',
        actor: { id: c.as, name: c.as, channel: 'cli' as const, roles: ['approver' as const], groups, teams: ['*'] },
      };
      const handle = h.client.workflow.getHandle(`incident-${id}`);
      if (c.via === 'signal')
        // Sent; whether it was taken, the arrivals tell.
        return handle.signal(msg.decideSignal, forged).then(
          () => ({ status: 202, headers: new Headers(), body: {} }),
          // The response already ended: nothing was taken.
          () => ({ status: 409, headers: new Headers(), body: {} }),
        );
      return handle.executeUpdate(msg.decideUpdate, { args: [forged] }).then(
        () => ({ status: 200, headers: new Headers(), body: {} }),
        () => ({ status: 403, headers: new Headers(), body: {} }),
      );
    }
    case 'approve':
      return h.request('POST', `/v1/incidents/${id}/approvals/${approvalId}`, {
        as: c.as,
        body: {
          decision: 'approve',
          reason: 'safety run approve',
          ...(c.adjust ? { inputs: { drainSeconds: 45 } } : {}),
        },
      });
    case 'reject':
      return h.request('POST', `/v1/incidents/${id}/approvals/${approvalId}`, {
        as: c.as,
        body: { decision: 'reject', reason: 'safety run reject' },
      });
    case 'optOut': {
      const scope =
        c.scope === 'response'
          ? { kind: 'response' }
          : c.scope === 'step'
            ? { kind: 'step', stepId: 'restart-replica' }
            : { kind: 'action', action: 'http.request' };
      const mode = c.mode === 'hand-over' && c.scope !== 'response' ? 'halt-now' : c.mode;
      return h.request('POST', `/v1/incidents/${id}/opt-out`, {
        as,
        body: { reason: 'safety run opt-out', scope, mode },
      });
    }
    case 'optIn':
      return h.request('POST', `/v1/incidents/${id}/opt-in`, { as, body: { reason: 'safety run opt-in' } });
    case 'skip':
      return h.request('POST', `/v1/incidents/${id}/overrides`, {
        as,
        body: { type: 'skip-step', stepId: 'restart-replica', reason: 'safety run skip' },
      });
    case 'setInputs':
      return h.request('POST', `/v1/incidents/${id}/overrides`, {
        as,
        body: {
          type: 'set-inputs',
          stepId: 'restart-replica',
          inputs: { drainSeconds: 10 },
          reason: 'safety run inputs',
        },
      });
    case 'cancel':
      return h.request('POST', `/v1/incidents/${id}/cancel`, { as, body: { reason: 'safety run cancel' } });
    case 'killSwitch':
      return h.request('POST', '/v1/guardrails/kill-switch', { as, body: { reason: 'safety run kill switch' } });
    case 'release':
      return h.request('DELETE', '/v1/guardrails/kill-switch', { as, body: { reason: 'safety run release' } });
    case 'pause': {
      const selector = c.matches ? thisResponse : { labels: { incident_tag: `${tag}-elsewhere` } };
      const expiresAt = c.expiresInMs === null ? undefined : new Date(sentAt + c.expiresInMs).toISOString();
      return h.request('POST', '/v1/guardrails/pauses', {
        as: 'ada',
        body: { selector, reason: controlReason(tag, n), ...(expiresAt ? { expiresAt } : {}) },
      });
    }
    case 'freeze': {
      const window = {
        start: new Date(sentAt - 1000).toISOString(),
        end: new Date(sentAt + c.durationMs).toISOString(),
      };
      return h.request('POST', '/v1/guardrails/freezes', {
        as: 'ada',
        body: { selector: thisResponse, ...window, mode: c.mode, tier: 'lead', reason: controlReason(tag, n) },
      });
    }
    case 'unpause':
      return h.request('DELETE', `/v1/guardrails/pauses/${removes}`, {
        as: 'ada',
        body: { reason: 'safety run unpause' },
      });
    case 'unfreeze':
      return h.request('DELETE', `/v1/guardrails/freezes/${removes}`, {
        as: 'ada',
        body: { reason: 'safety run unfreeze' },
      });
  }
}

interface Arrival {
  arrivedAt: number;
  answered: boolean;
  aborted: boolean;
  answeredAt?: number;
}

/** The claims, each checked only against acknowledged inputs and observed requests. */
export function judge(scenario: Scenario, sent: Sent[], arrivals: Array<Arrival & Record<string, unknown>>): string[] {
  const violations: string[] = [];
  const ok = (s: Sent) => s.status >= 200 && s.status < 300;
  const approvals = sent.filter((s) => s.command.kind === 'approve' && ok(s));
  // A forged (unsigned) approval is never taken. One that was would also show below as a
  // mitigation without consent: forged approvals never count as consent.
  for (const s of sent)
    if (s.command.kind === 'forge' && s.command.via === 'update' && s.status === 200)
      violations.push(`forged approval by ${s.command.as} (unsigned update) was accepted`);

  // Only tier1 approvers may count; nobody counts twice on one request.
  for (const s of approvals) {
    const c = s.command as Extract<Command, { kind: 'approve' }>;
    if (c.as === 'dana' || c.as === 'alice') violations.push(`unauthorized approve by ${c.as} was accepted`);
    // The lead tier is asked only during a freeze that requires it.
    if (
      c.as === 'lee' &&
      !sent.some(
        (f) => ok(f) && f.command.kind === 'freeze' && f.command.mode === 'require-approval' && f.sentAt < s.ackAt,
      )
    ) {
      violations.push('approve by lee (lead tier) was accepted without a freeze requiring the lead tier');
    }
    if (s.expiresAt !== undefined && s.sentAt >= s.expiresAt)
      violations.push(`approve sent after expiry (${s.sentAt - s.expiresAt} ms late) was accepted`);
  }
  // Per request, replay the accepted approvals in the order the workflow took them (ack order).
  // An approval that changes the inputs makes earlier yeses lapse: a new round starts with it.
  const consentSentAt = new Map<string, number>();
  for (const approvalId of new Set(approvals.map((a) => a.approvalId!))) {
    let current = sent.some(
      (s) =>
        s.command.kind === 'setInputs' &&
        ok(s) &&
        s.ackAt < Math.min(...approvals.filter((a) => a.approvalId === approvalId).map((a) => a.sentAt)),
    )
      ? 10
      : 30;
    let round = new Map<string, Sent>();
    for (const a of approvals.filter((x) => x.approvalId === approvalId).sort((x, y) => x.ackAt - y.ackAt)) {
      const c = a.command as Extract<Command, { kind: 'approve' }>;
      if (c.adjust && current !== 45) {
        current = 45;
        round = new Map();
      }
      if (round.has(c.as)) violations.push(`same approver counted twice on ${approvalId}`);
      round.set(c.as, a);
      if (round.size >= scenario.quorum && !consentSentAt.has(approvalId)) consentSentAt.set(approvalId, a.sentAt);
    }
  }

  const blocks = sent.filter(
    (s) => ok(s) && (s.command.kind === 'optOut' || s.command.kind === 'skip' || s.command.kind === 'cancel'),
  );
  const releases = sent.filter((s) => ok(s) && s.command.kind === 'optIn');

  for (const m of arrivals) {
    // Consent: a request whose quorum was completed by an approve sent before it, and no accepted reject.
    const consent = [...consentSentAt.entries()]
      .filter(
        ([approvalId, at]) =>
          at < m.arrivedAt &&
          !sent.some(
            (s) => s.command.kind === 'reject' && ok(s) && s.approvalId === approvalId && s.sentAt < m.arrivedAt,
          ),
      )
      .map(([approvalId, at]) => ({ approvalId, quorumSentAt: at }))
      .sort((x, y) => y.quorumSentAt - x.quorumSentAt)[0];
    if (!consent) {
      violations.push(`mitigation ran without consent (arrived ${m.arrivedAt})`);
      continue;
    }
    // After an opt-out, skip or stop was acknowledged, consent given later must not run it
    // (unless an opt-in was acknowledged in between: opt-ins release opt-outs, nothing else).
    for (const b of blocks) {
      if (b.ackAt >= consent.quorumSentAt!) continue;
      const releasable = b.command.kind === 'optOut';
      const released = releasable && releases.some((o) => o.sentAt > b.ackAt && o.ackAt < consent.quorumSentAt!);
      if (!released)
        violations.push(
          `mitigation ran after ${b.command.kind} was acknowledged (ack ${b.ackAt}, consent sent ${consent.quorumSentAt})`,
        );
    }
  }

  // While the kill switch is engaged (acknowledged, and no release sent yet), nothing may start.
  // 100 ms of grace: a mitigation whose activity passed its own check an instant before the
  // switch may still reach the target, and is then interrupted (the halt rule below).
  for (const m of arrivals) {
    for (const k of sent.filter((s) => ok(s) && s.command.kind === 'killSwitch' && s.ackAt + 100 < m.arrivedAt)) {
      const released = sent.some(
        (x) => ok(x) && x.command.kind === 'release' && x.sentAt > k.ackAt && x.sentAt < m.arrivedAt,
      );
      if (!released)
        violations.push(`mitigation started ${m.arrivedAt - k.ackAt} ms after the kill switch was acknowledged`);
    }
  }

  // A pause on this response, and a blocking freeze, hold like the kill switch while in force:
  // from their acknowledgement (the same grace) until lifted or ended by themselves.
  const liftedBefore = (s: Sent, at: number) => sent.some((x) => ok(x) && x.removes === s.control!.id && x.sentAt < at);
  const inForce = (s: Sent, at: number) =>
    !!s.control &&
    s.ackAt + 100 < at &&
    (s.control.endsAt === undefined || at < s.control.endsAt) &&
    !liftedBefore(s, at);
  const holds = sent.filter(
    (s) =>
      ok(s) &&
      ((s.command.kind === 'pause' && s.command.matches) ||
        (s.command.kind === 'freeze' && s.command.mode === 'block')),
  );
  const leadFreezes = sent.filter((s) => ok(s) && s.command.kind === 'freeze' && s.command.mode === 'require-approval');
  for (const m of arrivals) {
    for (const hold of holds.filter((x) => inForce(x, m.arrivedAt)))
      violations.push(
        `mitigation started ${m.arrivedAt - hold.ackAt} ms after a ${hold.command.kind} was acknowledged, while it was in force`,
      );
    // During a freeze that requires the lead tier, only the lead tier's consent lets it start.
    const leadConsent = approvals.some(
      (a) => (a.command as Extract<Command, { kind: 'approve' }>).as === 'lee' && a.sentAt < m.arrivedAt,
    );
    for (const f of leadFreezes.filter((x) => inForce(x, m.arrivedAt))) {
      if (!leadConsent)
        violations.push(
          `mitigation started during a freeze requiring the lead tier (ack ${f.ackAt}), without the lead tier's approval`,
        );
    }
  }

  // A halt acknowledged well before a running mitigation would finish must interrupt it. A
  // pause or blocking freeze counts when it stays in force for the halt budget after its ack.
  const halts = sent.filter(
    (s) =>
      ok(s) &&
      ((s.command.kind === 'optOut' && s.command.mode !== 'finish-current-step') ||
        s.command.kind === 'cancel' ||
        s.command.kind === 'killSwitch' ||
        (holds.includes(s) && inForce(s, s.ackAt + HALT_BUDGET_MS))),
  );
  for (const m of arrivals) {
    for (const hlt of halts) {
      if (hlt.ackAt > m.arrivedAt && hlt.ackAt < m.arrivedAt + MITIGATION_MS - HALT_BUDGET_MS && m.answered) {
        violations.push(
          `mitigation completed although a ${hlt.command.kind} was acknowledged ${hlt.ackAt - m.arrivedAt} ms into it`,
        );
      }
    }
    if (!m.answered && !m.aborted) violations.push('a mitigation request was still open after the response ended');
  }
  return violations;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
