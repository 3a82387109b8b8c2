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
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}',
    );
    const events = JSON.parse(JSON.stringify(chain(4))) as AuditEvent[];
    expect(verifyChains(events).intact).toBe(true);
  });
  it('finds an edited event', () => {
    const events = chain(5);
    events[2]!.reason = 'a nicer reason';
    expect(verifyChains(events)).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3, problem: expect.stringContaining('changed') },
    });
  });
  it('finds an edit that also recomputed the event hash, at the next link', () => {
    const events = chain(5);
    events[1]!.actor = { id: 'mallory', name: 'Mallory', channel: 'api' };
    events[1]!.hash = eventHash(events[1]!);
    expect(verifyChains(events)).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3, problem: expect.stringContaining('previous event') },
    });
  });
  it('finds a deleted event', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(verifyChains(events)).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3, problem: expect.stringContaining('missing') },
    });
  });
  describe('against the head the response recorded', () => {
    const headOf = (e: AuditEvent) => ({ eventId: e.eventId, sequence: e.sequence, hash: e.hash });
    it('cannot see the newest events deleted from the links alone, and finds them with the head', () => {
      const recorded = chain(5);
      const stored = recorded.slice(0, 3);
      expect(verifyChains(stored).intact).toBe(true);
      expect(verifyChains(stored, [headOf(recorded.at(-1)!)])).toMatchObject({
        intact: false,
        firstBroken: {
          eventId: 'incident-am-x:run-1:4',
          sequence: 4,
          problem: expect.stringContaining('newest events were removed'),
        },
      });
      expect(verifyChains(recorded, [headOf(recorded.at(-1)!)])).toEqual({ intact: true, chains: 1, events: 5 });
    });
    it('finds a whole chain deleted, events appended, and a chain rewritten from scratch', () => {
      const recorded = chain(5);
      expect(verifyChains(chain(2, 'run-2'), [headOf(recorded.at(-1)!)])).toMatchObject({
        intact: false,
        firstBroken: { sequence: 1 },
      });
      expect(verifyChains(chain(6), [headOf(recorded.at(-1)!)])).toMatchObject({
        intact: false,
        firstBroken: { sequence: 6, problem: expect.stringContaining('never recorded') },
      });
      // Every hash recomputed: the links hold, only the head can tell.
      const rewritten = chain(5).map((e) => ({ ...e }));
      rewritten[4]!.summary = 'nothing to see';
      rewritten[4]!.hash = eventHash(rewritten[4]!);
      expect(verifyChains(rewritten).intact).toBe(true);
      expect(verifyChains(rewritten, [headOf(recorded.at(-1)!)])).toMatchObject({
        intact: false,
        firstBroken: { sequence: 5, problem: expect.stringContaining('rewritten') },
      });
    });
  });
});
