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
    state: 'pending',
    tier: 'tier1',
    approversRequired: 2,
    requestedAt: '2026-11-22T09:59:00Z',
    expiresAt: '2026-11-22T10:05:00Z',
    requestedBy: { id: 'interlock', name: 'Interlock' },
    decisions: [],
    ...over,
  }) as ApprovalRequest;
const actor = (over: Partial<Actor> = {}): Actor => ({ id: 'bob', name: 'Bob', channel: 'api', roles: ['approver'], groups: ['tier1'], ...over });
const decide = (over: Partial<Actor> = {}): DecisionInput => ({ approvalId: 'act-1', decision: 'approve', reason: 'go', actor: actor(over) });

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
    expect(refuseDecision(approval({ expiresAt: '2026-11-22T10:00:00Z' }), decide(), now)).toMatchObject({ code: 'ApprovalClosed', message: expect.stringContaining('expired') });
  });
  it('refuses someone outside the tier, or without the approver role', () => {
    expect(refuseDecision(approval(), decide({ groups: ['sme:postgres'] }), now)?.code).toBe('NotAuthorized');
    expect(refuseDecision(approval(), decide({ roles: ['responder'] }), now)?.code).toBe('NotAuthorized');
  });
  it('refuses the requester deciding their own request', () => {
    expect(refuseDecision(approval({ requestedBy: { id: 'bob', name: 'Bob' } }), decide(), now)).toMatchObject({ code: 'NotAuthorized', message: expect.stringContaining('own request') });
  });
  it('refuses the same person counting twice toward a quorum', () => {
    const once = approval({ decisions: [{ actor: { id: 'bob', name: 'Bob', channel: 'api' }, decision: 'approve', reason: 'go', at: '2026-11-22T09:59:30Z' }] });
    expect(refuseDecision(once, decide(), now)?.code).toBe('DuplicateApprover');
    expect(refuseDecision(once, decide({ id: 'erin', name: 'Erin' }), now)).toBeUndefined();
  });
});
