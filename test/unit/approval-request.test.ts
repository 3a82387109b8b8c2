import { describe, expect, it } from 'vitest';
import { newApprovalRequest } from '../../src/domain/approval/request.js';
import type { PlaybookStep } from '../../src/domain/playbook/playbook.js';
import type { ResponseStatus, StepStatus } from '../../src/domain/response/status.js';

const nowMs = Date.parse('2026-11-22T10:00:00Z');
const step = {
  id: 'restart-replica',
  kind: 'mitigation',
  action: 'http.request',
  risk: 'high',
  impact: 'Reads fail over for 30 s',
  inputs: { instance: { type: 'string', default: 'db-1' } },
} as unknown as PlaybookStep;
const view = {
  id: 'restart-replica',
  inputs: { instance: 'db-2' },
  params: { url: 'http://db/restart' },
} as unknown as StepStatus;
const status = {
  title: 'Replication lag on payments-db',
  service: 'payments',
  environment: 'prod',
  severity: 'critical',
  alerts: [],
  approvals: [{ stepId: 'restart-replica' }],
  steps: [{ id: 'check-lag', kind: 'diagnostic', state: 'succeeded', output: { lagSeconds: 42 } }, view],
} as unknown as ResponseStatus;
const base = {
  incidentId: 'am-1',
  status,
  playbook: undefined,
  step,
  view,
  source: 'policy rule "prod-high-risk"',
  dryRun: false,
  nowMs,
};

describe('a new approval request', () => {
  it('carries what an approver needs, asks the first tier, and says it fails closed', () => {
    const request = newApprovalRequest({
      ...base,
      decision: {
        mode: 'approval',
        tier: 'tier1',
        approvers: 2,
        timeout: 300_000,
        escalation: ['lead'],
        validFor: 600_000,
        onTimeout: 'reject',
      },
    });
    expect(request).toMatchObject({
      id: 'restart-replica-2', // the second request for this step
      kind: 'approval',
      state: 'pending',
      tier: 'tier1',
      tiers: ['tier1'],
      approversRequired: 2,
      expiresAt: '2026-11-22T10:05:00.000Z',
      inputs: { instance: 'db-2' },
      requestedBy: { id: 'interlock' },
      context: {
        incidentId: 'am-1',
        impact: 'Reads fail over for 30 s',
        risk: 'high',
        policySource: 'policy rule "prod-high-risk"',
        diagnostics: [{ stepId: 'check-lag', state: 'succeeded', output: { lagSeconds: 42 } }],
        ifNobodyAnswers: 'Escalates to lead; unanswered after that, restart-replica does not run (fail closed).',
      },
    });
  });

  it('opens an objection window that runs at its end unless someone objects, on behalf of the playbook owner', () => {
    const request = newApprovalRequest({
      ...base,
      playbook: { owner: 'dana' } as never,
      decision: { mode: 'auto-after-objection-window', window: 60_000 },
    });
    expect(request).toMatchObject({
      kind: 'objection',
      tier: 'responders',
      approversRequired: 0,
      expiresAt: '2026-11-22T10:01:00.000Z',
      requestedBy: { id: 'dana' },
    });
    expect(request.context.ifNobodyAnswers).toBe(
      'restart-replica runs automatically at 2026-11-22T10:01:00.000Z unless someone objects.',
    );
  });
});
