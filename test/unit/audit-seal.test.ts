import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closingProblem, eventHash } from '../../src/domain/audit/chain.js';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import { parseAuditKeys, seal, sealProblem } from '../../src/domain/audit/seal.js';

const key = () => randomBytes(32).toString('base64');
const event = (over: Partial<AuditEvent> = {}): AuditEvent => {
  const e = {
    eventId: 'incident-x:run:1',
    sequence: 1,
    time: '2026-11-23T10:00:00.000Z',
    incidentId: 'am-x',
    workflowId: 'incident-x',
    type: 'response.opened',
    actor: { id: 'am', name: 'am', channel: 'system' },
    summary: 'opened',
    service: 's',
    environment: 'e',
    severity: 'critical',
    prevHash: '0'.repeat(64),
    ...over,
  } as AuditEvent;
  return { ...e, hash: eventHash(e) };
};

describe('audit seals', () => {
  it('seal with the first key, verify with any listed one, and leave the hash as it was', () => {
    const old = parseAuditKeys(`a1:${key()}`);
    const both = parseAuditKeys(`a2:${key()},a1:${Buffer.from(old.current.key).toString('base64')}`);
    const e = event();
    const sealed = seal(e, old);
    expect(sealed).toMatchObject({ macKeyId: 'a1', mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(eventHash(sealed)).toBe(e.hash); // the seal is not part of the content
    expect(sealProblem(sealed, both)).toBeUndefined();
    expect(seal(e, both).macKeyId).toBe('a2');
  });

  it('say why a seal does not hold', () => {
    const keys = parseAuditKeys(`a1:${key()}`);
    const e = seal(event(), keys);
    expect(sealProblem(event(), keys)).toMatch(/not sealed/);
    expect(sealProblem({ ...e, macKeyId: 'zz' }, keys)).toMatch(/"zz", which is not configured/);
    const rewritten = event({ summary: 'edited' });
    expect(sealProblem({ ...rewritten, mac: e.mac, macKeyId: 'a1' }, keys)).toMatch(/seal does not match/);
  });

  it('refuses malformed keys without showing them', () => {
    expect(() => parseAuditKeys('')).toThrow('no key listed');
    expect(() => parseAuditKeys('nokey')).toThrow('entry 1: expected id:base64key');
    expect(() => parseAuditKeys('a:c2hvcnQ=')).toThrow('key "a": at least 32 bytes are needed');
    const k = key();
    expect(() => parseAuditKeys(`a:${k},a:${k}`)).toThrow('key "a" is listed twice');
    try {
      parseAuditKeys(`a:${k},b:short`);
    } catch (err) {
      expect((err as Error).message).not.toContain(k);
    }
  });

  it('an ended response must end with its closing event; a running one need not', () => {
    const opened = event();
    const requested = event({ eventId: 'incident-x:run:2', sequence: 2, type: 'approval.requested' });
    const completed = event({ eventId: 'incident-x:run:3', sequence: 3, type: 'response.completed' });
    expect(closingProblem([opened, requested], () => 'running')).toBeUndefined();
    expect(closingProblem([opened, requested, completed], () => 'ended')).toBeUndefined();
    expect(closingProblem([opened, requested], () => 'ended')).toMatchObject({
      eventId: 'incident-x:run:2',
      problem: expect.stringMatching(/without its closing event/),
    });
    expect(closingProblem([opened, requested], () => 'bypassed')?.problem).toMatch(/ended from Temporal/);
    // A re-fire record is its own one-event chain, not a response's trail.
    expect(closingProblem([event({ type: 'alert.refired' })], () => 'ended')).toBeUndefined();
  });
});
