import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicyDecision } from '../../src/domain/policy/policy.js';
import { mitigationBlocker } from '../../src/domain/response/safety.js';
import type { ApprovalRequest, OptOutRecord } from '../../src/domain/response/status.js';

const now = Date.parse('2026-11-22T10:00:00Z');
const needsTwo: PolicyDecision = {
  mode: 'approval',
  tier: 'tier1',
  approvers: 2,
  timeout: 60_000,
  escalation: [],
  validFor: 60_000,
  onTimeout: 'reject',
};
const candidate = { stepId: 'restart', action: 'http.request', inputs: { replicas: 3 } };
const yes = (id: string) => ({
  actor: { id, name: id, channel: 'api' as const },
  decision: 'approve' as const,
  reason: 'ok',
  at: '2026-11-22T09:59:50Z',
});
const approval = (over: Partial<ApprovalRequest> = {}): ApprovalRequest =>
  ({
    id: 'restart-1',
    stepId: 'restart',
    kind: 'approval',
    state: 'approved',
    tier: 'tier1',
    tiers: ['tier1'],
    escalationLevel: 0,
    approversRequired: 2,
    requestedAt: '2026-11-22T09:59:00Z',
    expiresAt: '2026-11-22T10:05:00Z',
    approvedAt: '2026-11-22T09:59:55Z',
    validUntil: '2026-11-22T10:00:30Z',
    requestedBy: { id: 'interlock', name: 'Interlock' },
    inputs: { replicas: 3 },
    decisions: [yes('bob'), yes('erin')],
    ...over,
  }) as ApprovalRequest;
const optOut = (over: Partial<OptOutRecord> = {}): OptOutRecord => ({
  id: 'optout-1',
  scope: { kind: 'response' },
  mode: 'halt-now',
  actor: { id: 'alice', name: 'Alice', channel: 'api' },
  reason: 'hands off',
  at: '2026-11-22T09:59:58Z',
  active: true,
  ...over,
});
const check = (over: Partial<Parameters<typeof mitigationBlocker>[0]> = {}) =>
  mitigationBlocker({
    candidate,
    decision: needsTwo,
    approval: approval(),
    optOuts: [],
    overrides: [],
    nowMs: now,
    ...over,
  });

describe('the safety rule', () => {
  it('lets a mitigation start with a valid quorum for exactly these inputs', () => {
    expect(check()).toBeUndefined();
  });
  it.each([
    ['no approval at all', { approval: undefined }, /no approval/],
    ['one approver short', { approval: approval({ decisions: [yes('bob')] }) }, /2 distinct approvers, has 1/],
    ['the same person twice', { approval: approval({ decisions: [yes('bob'), yes('bob')] }) }, /has 1/],
    ['the requester approving', { approval: approval({ decisions: [yes('bob'), yes('interlock')] }) }, /has 1/],
    [
      'a rejection on record',
      { approval: approval({ decisions: [yes('bob'), yes('erin'), { ...yes('dana'), decision: 'reject' as const }] }) },
      /rejected/,
    ],
    ['an approval past its validity', { nowMs: Date.parse('2026-11-22T10:00:30Z') }, /approval-void/],
    [
      'inputs changed since approval',
      { candidate: { ...candidate, inputs: { replicas: 9 } } },
      /approval-void: the inputs changed/,
    ],
    ['an approval still pending', { approval: approval({ state: 'pending' }) }, /approval pending/],
    ['an approval for another step', { approval: approval({ stepId: 'other' }) }, /no approval/],
    ['an active response opt-out', { optOuts: [optOut()] }, /opted out by Alice/],
    ['an active step opt-out', { optOuts: [optOut({ scope: { kind: 'step', stepId: 'restart' } })] }, /opted out/],
    [
      'an active action opt-out',
      { optOuts: [optOut({ scope: { kind: 'action', action: 'http.request' } })] },
      /opted out/,
    ],
    [
      'a skip override',
      {
        overrides: [
          {
            id: 'o1',
            type: 'skip-step' as const,
            stepId: 'restart',
            actor: { id: 'a', name: 'A', channel: 'api' as const },
            reason: 'r',
            at: '',
          },
        ],
      },
      /override/,
    ],
    ['an external control', { external: ['kill switch engaged by Kim'] }, /kill switch/],
    ['a manual-only policy', { decision: { mode: 'manual-only' as const } }, /manual only/],
  ])('refuses %s', (_what, over, reason) => {
    expect(check(over as never)).toMatch(reason);
  });
  it('ignores released opt-outs and opt-outs of other steps or actions', () => {
    expect(
      check({
        optOuts: [
          optOut({ active: false }),
          optOut({ scope: { kind: 'step', stepId: 'other' } }),
          optOut({ scope: { kind: 'action', action: 'shell.command' } }),
        ],
      }),
    ).toBeUndefined();
  });
  it('never allows a start while any active opt-out covers the step, whatever else holds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OptOutRecord['scope']>(
          { kind: 'response' },
          { kind: 'step', stepId: 'restart' },
          { kind: 'action', action: 'http.request' },
        ),
        fc.constantFrom<PolicyDecision>({ mode: 'auto' }, needsTwo),
        (scope, decision) => {
          expect(check({ decision, optOuts: [optOut({ scope })] })).toBeDefined();
        },
      ),
    );
  });
});
