import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, GENESIS_HASH, verifyChains } from '../../src/domain/audit/chain.js';
import type { AuditEvent } from '../../src/domain/audit/event.js';

function chain(n: number, runKey = 'run-1'): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) {
    const e: AuditEvent = {
      eventId: `incident-am-x:${runKey}:${i}`,
      sequence: i,
      time: `2026-11-22T10:00:0${i % 10}.000Z`,
      incidentId: 'am-x',
      workflowId: 'incident-am-x',
      type: 'approval.granted',
      actor: { id: 'bob', name: 'Bob', channel: 'api' },
      summary: `event ${i}`,
      reason: 'because',
      service: 's',
      environment: 'e',
      severity: 'critical',
      parameters: { replicas: i, nested: { b: 1, a: [1, 'x'] } },
      prevHash: events.at(-1)?.hash ?? GENESIS_HASH,
    };
    e.hash = eventHash(e);
    events.push(e);
  }
  return events;
}

describe('the audit hash chain', () => {
  it('verifies an intact chain in any order, and several chains at once', () => {
    const events = [...chain(5), ...chain(3, 'run-2')].reverse();
    expect(verifyChains(events)).toEqual({ intact: true, chains: 2, events: 8 });
  });
  it('is independent of key order (canonical JSON), and survives a JSON round trip', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
    const events = JSON.parse(JSON.stringify(chain(4))) as AuditEvent[];
    expect(verifyChains(events).intact).toBe(true);
  });
  it('finds an edited event', () => {
    const events = chain(5);
    events[2]!.reason = 'a nicer reason';
    expect(verifyChains(events)).toMatchObject({ intact: false, firstBroken: { sequence: 3, problem: expect.stringContaining('changed') } });
  });
  it('finds an edit that also recomputed the event hash, at the next link', () => {
    const events = chain(5);
    events[1]!.actor = { id: 'mallory', name: 'Mallory', channel: 'api' };
    events[1]!.hash = eventHash(events[1]!);
    expect(verifyChains(events)).toMatchObject({ intact: false, firstBroken: { sequence: 3, problem: expect.stringContaining('previous event') } });
  });
  it('finds a deleted event', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(verifyChains(events)).toMatchObject({ intact: false, firstBroken: { sequence: 3, problem: expect.stringContaining('missing') } });
  });
});
