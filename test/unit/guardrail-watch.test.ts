import { describe, expect, it } from 'vitest';
import { heartbeatIntervalMs } from '../../src/activities/actions/heartbeat.js';
import { createGuardrailWatch } from '../../src/clients/temporal/guardrail-watch.js';
import { EMPTY_CONTROLS, type Controls, type GuardrailFacts } from '../../src/domain/guardrails/controls.js';

const who = { id: 'kim', name: 'Kim', channel: 'api' };
const payments: GuardrailFacts = {
  service: 'payments',
  environment: 'prod',
  action: 'http.request',
  severity: 'critical',
  playbook: 'restart',
  labels: {},
  kind: 'mitigation',
};
const search: GuardrailFacts = { ...payments, service: 'search' };
const engaged = (version: number): Controls => ({
  ...EMPTY_CONTROLS,
  version,
  killSwitch: { engaged: true, allowDiagnostics: true, actor: who, reason: 'stop' },
});
const pausedPayments = (version: number): Controls => ({
  ...EMPTY_CONTROLS,
  version,
  pauses: [{ id: 'pause-1', selector: { service: 'payments' }, reason: 'maintenance', actor: who, at: '' }],
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('worker-local guardrail watch', () => {
  it('interrupts, on a published change, exactly the mitigations the new controls forbid', () => {
    const watch = createGuardrailWatch(() => new Promise<Controls>(() => undefined));
    const stopped: string[] = [];
    watch.watch(payments, 0, (b) => stopped.push(`payments: ${b.join()}`));
    watch.watch(search, 0, (b) => stopped.push(`search: ${b.join()}`));
    watch.publish(pausedPayments(1));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toBe('payments: paused by Kim: maintenance');
    expect(watch.watching).toBe(1);
    // An older or equal version is stale: it changes nothing.
    watch.publish(engaged(1));
    expect(watch.watching).toBe(1);
    watch.publish(engaged(2));
    expect(stopped).toHaveLength(2);
    expect(watch.watching).toBe(0);
  });

  it('polls the controls while something is watched, and stops polling when nothing is', async () => {
    let reads = 0;
    let controls: Controls = { ...EMPTY_CONTROLS, version: 3 };
    const watch = createGuardrailWatch(async () => (reads++, controls), { pollMs: 5 });
    let blocked: string[] | undefined;
    const unwatch = watch.watch(payments, 3, (b) => (blocked = b));
    await until(() => reads >= 2);
    expect(blocked).toBeUndefined();
    controls = engaged(4);
    await until(() => blocked !== undefined);
    expect(blocked?.[0]).toMatch(/kill switch engaged by Kim/);
    unwatch();
    const after = reads;
    await new Promise((r) => setTimeout(r, 50));
    expect(reads).toBeLessThanOrEqual(after + 1);
  });

  it('judges a newcomer against a change this worker saw after the newcomer was checked', async () => {
    const watch = createGuardrailWatch(() => new Promise<Controls>(() => undefined));
    watch.publish(engaged(7));
    let blocked: string[] | undefined;
    watch.watch(payments, 6, (b) => (blocked = b));
    await Promise.resolve();
    expect(blocked?.[0]).toMatch(/kill switch/);
    // Checked at the current version: nothing new to judge, so it runs.
    let second: string[] | undefined;
    watch.watch(payments, 7, (b) => (second = b));
    await Promise.resolve();
    expect(second).toBeUndefined();
  });

  it('keeps a worker near its heartbeat budget however many actions run', () => {
    expect(heartbeatIntervalMs(1)).toBe(100);
    expect(heartbeatIntervalMs(20)).toBe(100);
    expect(heartbeatIntervalMs(40)).toBe(200);
    expect(heartbeatIntervalMs(1000)).toBe(5000);
    expect(heartbeatIntervalMs(100_000)).toBe(10_000);
  });

  it('beats at least three times per heartbeat timeout, so a dead worker is noticed within it', () => {
    // Mitigations: a 5 s heartbeatTimeout. Alone an action still beats every 100 ms.
    expect(heartbeatIntervalMs(1, 5_000)).toBe(100);
    expect(heartbeatIntervalMs(1000, 5_000)).toBeCloseTo(5_000 / 3);
    expect(heartbeatIntervalMs(100_000, 5_000)).toBeCloseTo(5_000 / 3);
  });
});
