import { describe, expect, it } from 'vitest';
import { refuseDecision } from '../../src/domain/approval/authorize-decision.js';
import type { Actor } from '../../src/domain/actor/actor.js';
import type { DecisionInput } from '../../src/domain/response/inputs.js';
import type { ApprovalRequest } from '../../src/domain/response/status.js';

const now = Date.parse('2026-11-22T10:00:00Z');
const approval = (over: Partial<ApprovalRequest> = {}): ApprovalRequest =>
  ({
    id: 'act-1',
    stepId: 'act',
    kind: 'approval',
    state: 'pending',
    tier: 'tier1',
    tiers: ['tier1'],
    escalationLevel: 0,
    inputs: { replicas: 3 },
    approversRequired: 2,
    requestedAt: '2026-11-22T09:59:00Z',
    expiresAt: '2026-11-22T10:05:00Z',
    requestedBy: { id: 'interlock', name: 'Interlock' },
    decisions: [],
    ...over,
  }) as ApprovalRequest;
const actor = (over: Partial<Actor> = {}): Actor => ({
  id: 'bob',
  name: 'Bob',
  channel: 'api',
  roles: ['approver'],
  groups: ['tier1'],
  teams: [],
  ...over,
});
const decide = (over: Partial<Actor> = {}): DecisionInput => ({
  approvalId: 'act-1',
  decision: 'approve',
  reason: 'go',
  actor: actor(over),
});

describe('who may decide an approval request', () => {
  it('lets an approver of the required tier decide an open request', () => {
    expect(refuseDecision(approval(), decide(), now)).toBeUndefined();
  });
  it('refuses an unknown request', () => {
    expect(refuseDecision(undefined, decide(), now)?.code).toBe('UnknownApproval');
  });
  it('refuses a closed request', () => {
    expect(refuseDecision(approval({ state: 'rejected' }), decide(), now)?.code).toBe('ApprovalClosed');
  });
  it('refuses a decision at or after the deadline (a late approval never counts)', () => {
    expect(refuseDecision(approval({ expiresAt: '2026-11-22T10:00:00Z' }), decide(), now)).toMatchObject({
      code: 'ApprovalClosed',
      message: expect.stringContaining('expired'),
    });
  });
  it('refuses someone outside the tier, or without the approver role', () => {
    expect(refuseDecision(approval(), decide({ groups: ['sme:postgres'] }), now)?.code).toBe('NotAuthorized');
    expect(refuseDecision(approval(), decide({ roles: ['responder'] }), now)?.code).toBe('NotAuthorized');
  });
  it('refuses the requester deciding their own request', () => {
    expect(refuseDecision(approval({ requestedBy: { id: 'bob', name: 'Bob' } }), decide(), now)).toMatchObject({
      code: 'NotAuthorized',
      message: expect.stringContaining('own request'),
    });
  });
  it('lets an approver of an escalated tier decide, and still refuses other tiers', () => {
    const escalated = approval({ tier: 'lead', tiers: ['tier1', 'lead'], escalationLevel: 1 });
    expect(refuseDecision(escalated, decide({ groups: ['lead'] }), now)).toBeUndefined();
    expect(refuseDecision(escalated, decide({ groups: ['tier2'] }), now)?.code).toBe('NotAuthorized');
  });
  it('checks adjusted inputs against the playbook bounds', () => {
    const bounds = { replicas: { type: 'integer' as const, default: 3, min: 1, max: 10 } };
    expect(refuseDecision(approval(), { ...decide(), inputs: { replicas: 5 } }, now, bounds)).toBeUndefined();
    expect(refuseDecision(approval(), { ...decide(), inputs: { replicas: 50 } }, now, bounds)).toMatchObject({
      code: 'InvalidInput',
      message: expect.stringContaining('replicas: must be at most 10'),
    });
    expect(refuseDecision(approval(), { ...decide(), inputs: { region: 'eu' } }, now, bounds)).toMatchObject({
      code: 'InvalidInput',
      message: expect.stringContaining('region: not an adjustable input'),
    });
    expect(
      refuseDecision(approval(), { ...decide(), decision: 'reject', inputs: { replicas: 5 } }, now, bounds)?.code,
    ).toBe('InvalidInput');
  });
  it('lets any responder object to an objection window, but not approve it', () => {
    const window = approval({ kind: 'objection', tier: 'responders', tiers: ['responders'], approversRequired: 0 });
    expect(
      refuseDecision(window, { ...decide({ roles: ['responder'], groups: [] }), decision: 'reject' }, now),
    ).toBeUndefined();
    expect(refuseDecision(window, decide(), now)?.code).toBe('InvalidInput');
    expect(refuseDecision(window, { ...decide({ roles: ['auditor'] }), decision: 'reject' }, now)?.code).toBe(
      'NotAuthorized',
    );
  });
  it('refuses the same person counting twice toward a quorum', () => {
    const once = approval({
      decisions: [
        {
          actor: { id: 'bob', name: 'Bob', channel: 'api' },
          decision: 'approve',
          reason: 'go',
          at: '2026-11-22T09:59:30Z',
        },
      ],
    });
    expect(refuseDecision(once, decide(), now)?.code).toBe('DuplicateApprover');
    expect(refuseDecision(once, decide({ id: 'erin', name: 'Erin' }), now)).toBeUndefined();
  });
});
