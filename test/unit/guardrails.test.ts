import { describe, expect, it } from 'vitest';
import {
  EMPTY_CONTROLS,
  evaluateControls,
  missingGuardrailConsent,
  pauseInputSchema,
  type Controls,
  type GuardrailFacts,
} from '../../src/domain/guardrails/controls.js';

const now = Date.parse('2026-11-27T12:00:00Z');
const facts: GuardrailFacts = {
  service: 'payments',
  environment: 'prod',
  action: 'http.request',
  severity: 'critical',
  playbook: 'restart',
  labels: { tier: 'critical' },
  kind: 'mitigation',
};
const who = { id: 'kim', name: 'Kim', channel: 'api' };
const controls = (over: Partial<Controls>): Controls => ({ ...EMPTY_CONTROLS, ...over });

describe('guardrail evaluation', () => {
  it('says what consent a mitigation lacks at start: none, the control tier, or any (manual only)', () => {
    expect(missingGuardrailConsent({ blockers: [] }, undefined)).toBeUndefined();
    const freeze = { blockers: [], requireApproval: { tier: 'lead', source: 'change freeze freeze-1' } };
    expect(missingGuardrailConsent(freeze, 'lead')).toBeUndefined();
    expect(missingGuardrailConsent(freeze, 'tier1')).toBe('change freeze freeze-1 requires approval from lead');
    expect(missingGuardrailConsent(freeze, undefined)).toBe('change freeze freeze-1 requires approval from lead');
    expect(missingGuardrailConsent({ blockers: [], manualOnly: 'exclusion rule r-1: critical' }, 'lead')).toBe(
      'exclusion rule r-1: critical (manual only)',
    );
  });
  it('lets everything through when nothing is engaged', () => {
    expect(evaluateControls(EMPTY_CONTROLS, facts, now)).toEqual({ blockers: [] });
  });
  it('the kill switch blocks mitigations, and diagnostics only when configured so', () => {
    const ks = controls({ killSwitch: { engaged: true, allowDiagnostics: true, actor: who, reason: 'stop' } });
    expect(evaluateControls(ks, facts, now).blockers[0]).toMatch(/kill switch engaged by Kim: stop/);
    expect(evaluateControls(ks, { ...facts, kind: 'diagnostic' }, now).blockers).toEqual([]);
    expect(
      evaluateControls(
        { ...ks, killSwitch: { ...ks.killSwitch, allowDiagnostics: false } },
        { ...facts, kind: 'diagnostic' },
        now,
      ).blockers,
    ).toHaveLength(1);
  });
  it('a pause holds only what its selector matches, and only until it expires', () => {
    const pause = {
      id: 'pause-1',
      selector: { service: 'payments', environment: 'prod' },
      reason: 'maintenance',
      actor: who,
      at: '',
      expiresAt: '2026-11-27T14:00:00Z',
    };
    const c = controls({ pauses: [pause] });
    expect(evaluateControls(c, facts, now).blockers).toHaveLength(1);
    expect(evaluateControls(c, { ...facts, environment: 'staging' }, now).blockers).toEqual([]);
    expect(evaluateControls(c, facts, Date.parse('2026-11-27T14:00:00Z')).blockers).toEqual([]);
  });
  it('resolves overlapping rules and freezes to the most restrictive', () => {
    const c = controls({
      rules: [
        {
          id: 'r-approval',
          selector: { service: 'payments' },
          effect: 'approval',
          tier: 'sme',
          reason: 'sensitive',
          source: 'runtime',
        },
        {
          id: 'r-manual',
          selector: { labels: { tier: 'critical' } },
          effect: 'manual-only',
          reason: 'critical',
          source: 'file',
        },
      ],
      freezes: [
        {
          id: 'f-1',
          start: '2026-11-27T00:00:00Z',
          end: '2026-11-28T00:00:00Z',
          mode: 'require-approval',
          tier: 'lead',
          reason: 'Black Friday',
          actor: who,
          at: '',
        },
      ],
    });
    const verdict = evaluateControls(c, facts, now);
    expect(verdict.manualOnly).toMatch(/r-manual/);
    expect(verdict.requireApproval).toEqual({ tier: 'lead', source: 'change freeze f-1' });
    const withBlock = controls({
      ...c,
      rules: [
        ...c.rules,
        { id: 'r-block', selector: { action: 'http.request' }, effect: 'block', reason: 'no http', source: 'runtime' },
      ],
    });
    expect(evaluateControls(withBlock, facts, now).blockers[0]).toMatch(/r-block/);
    // Outside the freeze window only the rule's approval applies.
    expect(
      evaluateControls(controls({ ...c, rules: [c.rules[0]!] }), facts, Date.parse('2026-11-29T00:00:00Z'))
        .requireApproval,
    ).toEqual({ tier: 'sme', source: 'exclusion rule r-approval' });
  });
  it('refuses selectors that would match everything or nothing sensible', () => {
    const base = { reason: 'because', actor: { id: 'a', name: 'A', channel: 'api', roles: ['admin'], groups: [] } };
    expect(pauseInputSchema.safeParse({ ...base, selector: {} }).success).toBe(false);
    expect(pauseInputSchema.safeParse({ ...base, selector: { colour: 'red' } }).success).toBe(false);
    expect(pauseInputSchema.safeParse({ ...base, selector: { labels: {} } }).success).toBe(false);
    expect(pauseInputSchema.safeParse({ ...base, selector: { service: 'payments' } }).success).toBe(true);
  });
});
