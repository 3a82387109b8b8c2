import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/clients/config/catalog.js';
import { decidePolicy, type PolicyDecision } from '../../src/domain/policy/policy.js';

const facts = {
  risk: 'high',
  action: 'http.request',
  service: 'payments',
  environment: 'prod',
  severity: 'critical',
  labels: { team: 'dba' },
};
const policy = parsePolicy(
  `
rules:
  - name: prod-high-risk
    match: { risk: high, environment: [prod, prod-eu] }
    decision: { mode: approval, tier: lead, approvers: 1, timeout: 10m }
  - name: low-risk
    match: { risk: low }
    decision: { mode: auto-after-objection-window, window: 30s }
default: { mode: auto }
`,
  'policy.yaml',
);
const approval = (over: Partial<Extract<PolicyDecision, { mode: 'approval' }>> = {}): PolicyDecision => ({
  mode: 'approval',
  tier: 'tier1',
  approvers: 1,
  timeout: 900_000,
  escalation: [],
  validFor: 600_000,
  onTimeout: 'reject',
  ...over,
});

describe('policy decisions', () => {
  it('applies the first matching rule, else the default', () => {
    expect(decidePolicy(policy, facts)).toMatchObject({
      decision: { mode: 'approval', tier: 'lead' },
      source: 'policy rule "prod-high-risk"',
    });
    expect(decidePolicy(policy, { ...facts, risk: 'low' })).toMatchObject({
      decision: { mode: 'auto-after-objection-window', window: 30_000 },
    });
    expect(decidePolicy(policy, { ...facts, risk: 'medium' })).toEqual({
      decision: { mode: 'auto' },
      source: 'policy default',
    });
  });

  it('lets the playbook step and an override make it stricter, never looser', () => {
    expect(decidePolicy(policy, { ...facts, risk: 'medium' }, { mode: 'manual-only' })).toEqual({
      decision: { mode: 'manual-only' },
      source: 'playbook step',
    });
    expect(decidePolicy(policy, facts, { mode: 'auto' }).decision.mode).toBe('approval');
    expect(
      decidePolicy(policy, { ...facts, risk: 'low' }, undefined, approval({ tier: 'sme:postgres' })),
    ).toMatchObject({ decision: { tier: 'sme:postgres' }, source: 'per-incident override' });
    // A guardrail's demand names the guardrail, so approvers see why they are asked.
    expect(
      decidePolicy(policy, { ...facts, risk: 'low' }, undefined, approval({ tier: 'lead' }), 'change freeze freeze-2'),
    ).toMatchObject({ decision: { tier: 'lead' }, source: 'change freeze freeze-2' });
  });

  it('merges approvals so no source is weakened: most approvers, shortest deadlines, most specific tier', () => {
    // The org default asks one tier-1 approver; the step asks two within 2 minutes.
    const strictDefault = parsePolicy('default: { mode: approval, tier: tier1 }', 'p.yaml');
    const merged = decidePolicy(
      strictDefault,
      facts,
      approval({ tier: 'sme:postgres', approvers: 2, timeout: 120_000 }),
    );
    expect(merged).toMatchObject({
      source: 'playbook step',
      decision: { tier: 'sme:postgres', approvers: 2, timeout: 120_000 },
    });
    // A matching rule's tier wins over the step's, but the step's quorum still stands.
    expect(decidePolicy(policy, facts, approval({ approvers: 3 }))).toMatchObject({
      source: 'policy rule "prod-high-risk"',
      decision: { tier: 'lead', approvers: 3, timeout: 600_000 },
    });
  });

  it('refuses a policy file with an unknown mode or a fail-open timeout', () => {
    expect(() => parsePolicy('default: { mode: yolo }', 'p.yaml')).toThrow(/default/);
    expect(() => parsePolicy('default: { mode: approval, tier: t, onTimeout: approve }', 'p.yaml')).toThrow(
      /onTimeout/,
    );
  });
});
