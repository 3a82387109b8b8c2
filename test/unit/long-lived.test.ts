import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import {
  CARRY,
  continueAsNewDue,
  pageTimeline,
  TIMELINE_DEFAULT_LIMIT,
  TIMELINE_MAX_LIMIT,
  trimStatus,
} from '../../src/domain/response/long-lived.js';
import type { OptOutRecord, ResponseStatus } from '../../src/domain/response/status.js';

const actor = { id: 'alice', name: 'Alice', channel: 'api' as const };

/** Events with sequences from..to, as a response holds them (in order). */
function events(from: number, to: number): AuditEvent[] {
  return Array.from(
    { length: to - from + 1 },
    (_, i) => ({ sequence: from + i, eventId: `w:r:${from + i}` }) as AuditEvent,
  );
}

function optOut(n: number, active: boolean): OptOutRecord {
  return {
    id: `optout-${n}`,
    scope: { kind: 'response' },
    mode: 'halt-now',
    actor,
    reason: 'r',
    at: 't',
    active,
  } as OptOutRecord;
}

function status(over: Partial<ResponseStatus>): ResponseStatus {
  return {
    incidentId: 'am-1',
    workflowId: 'incident-am-1',
    phase: 'awaiting-approval',
    dryRun: false,
    title: 't',
    service: 's',
    environment: 'e',
    severity: 'critical',
    labels: {},
    alerts: [],
    deliveries: 1,
    duplicateDeliveries: 0,
    steps: [],
    approvals: [],
    optOuts: [],
    overrides: [],
    timeline: events(1, 3),
    ...over,
  };
}

describe('when a response continues as new', () => {
  const info = (historyLength: number, historySize = 0, continueAsNewSuggested = false) => ({
    historyLength,
    historySize,
    continueAsNewSuggested,
  });

  it('follows Temporal’s suggestion, or the bounds it was given, with defaults', () => {
    expect(continueAsNewDue(info(50, 0, true), undefined)).toBe(true);
    expect(continueAsNewDue(info(9_999), undefined)).toBe(false);
    expect(continueAsNewDue(info(10_000), undefined)).toBe(true);
    expect(continueAsNewDue(info(10, 10 * 1024 * 1024), undefined)).toBe(true);
    expect(continueAsNewDue(info(299), { events: 300 })).toBe(false);
    expect(continueAsNewDue(info(300), { events: 300 })).toBe(true);
  });

  it('never continues again at once: a bound too small or not a number is raised or ignored', () => {
    expect(continueAsNewDue(info(20), { events: 1 })).toBe(false);
    expect(continueAsNewDue(info(100), { events: 1 })).toBe(true);
    expect(continueAsNewDue(info(20, 1000), { bytes: 0 })).toBe(false);
    expect(continueAsNewDue(info(20), { events: Number.NaN })).toBe(false);
    expect(continueAsNewDue(info(20), { events: 'x' as unknown as number })).toBe(false);
  });
});

describe('the carried status', () => {
  it('keeps every active opt-out and the newest released ones, in order', () => {
    const optOuts = [optOut(1, true), ...Array.from({ length: 50 }, (_, i) => optOut(i + 2, false)), optOut(52, true)];
    const trimmed = trimStatus(status({ optOuts }));
    expect(trimmed.optOuts.filter((o) => o.active).map((o) => o.id)).toEqual(['optout-1', 'optout-52']);
    expect(trimmed.optOuts.filter((o) => !o.active)).toHaveLength(CARRY.releasedOptOuts);
    expect(trimmed.optOuts.at(-2)!.id).toBe('optout-51');
    expect(trimmed.optOuts.map((o) => o.id)[0]).toBe('optout-1');
  });

  it('keeps the newest handover notes and their count, all approvals and overrides, and no timeline', () => {
    const notes = Array.from({ length: 120 }, (_, i) => ({ actor, text: `n${i}`, at: 't' }));
    const approvals = Array.from({ length: 30 }, (_, i) => ({ id: `s-${i + 1}`, state: 'void' }));
    const trimmed = trimStatus(
      status({ handover: { owner: actor, at: 't', notes, notesTotal: 120 }, approvals: approvals as never }),
    );
    expect(trimmed.handover!.notes).toHaveLength(CARRY.notes);
    expect(trimmed.handover!.notes.at(-1)!.text).toBe('n119');
    expect(trimmed.handover!.notesTotal).toBe(120);
    expect(trimmed.approvals).toHaveLength(30);
    expect(trimmed.timeline).toEqual([]);
  });

  it('leaves the live status as it is (the status query trims the same way)', () => {
    const notes = Array.from({ length: 120 }, (_, i) => ({ actor, text: `n${i}`, at: 't' }));
    const optOuts = Array.from({ length: 40 }, (_, i) => optOut(i + 1, false));
    const live = status({ optOuts, handover: { owner: actor, at: 't', notes } });
    trimStatus(live);
    expect(live.optOuts).toHaveLength(40);
    expect(live.handover!.notes).toHaveLength(120);
    expect(live.timeline).toHaveLength(3);
  });
});

describe('a page of the timeline', () => {
  // A continued response holds its newest events only (here 301..1000 of 1000).
  const held = events(301, 1000);

  it('is the newest events by default, with the total and the cursor to the page before', () => {
    const { events: page, page: info } = pageTimeline(held, 1000, undefined);
    expect(page).toHaveLength(TIMELINE_DEFAULT_LIMIT);
    expect(page[0]!.sequence).toBe(901);
    expect(page.at(-1)!.sequence).toBe(1000);
    expect(info).toEqual({ total: 1000, heldFrom: 301, nextBefore: 901 });
  });

  it('walks back by cursor without skipping or repeating, down to what the response holds', () => {
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const { events: page, page: info } = pageTimeline(held, 1000, { limit: 64, before });
      seen.unshift(...page.map((e) => e.sequence));
      if (page.length === 0 || info.nextBefore === undefined || info.nextBefore <= info.heldFrom) break;
      before = info.nextBefore;
    }
    expect(seen).toEqual(held.map((e) => e.sequence));
    // Older than what it holds: nothing here, and heldFrom says to read the audit trail.
    expect(pageTimeline(held, 1000, { before: 301 }).events).toEqual([]);
  });

  it('answers whatever it is asked: bad limits fall back, big ones are capped', () => {
    expect(pageTimeline(held, 1000, { limit: -3 }).events).toHaveLength(TIMELINE_DEFAULT_LIMIT);
    expect(pageTimeline(held, 1000, { limit: 'ten' as unknown as number }).events).toHaveLength(TIMELINE_DEFAULT_LIMIT);
    expect(pageTimeline(held, 1000, { limit: 10_000 }).events).toHaveLength(TIMELINE_MAX_LIMIT);
    expect(pageTimeline(held, 1000, { before: 'x' as unknown as number }).events.at(-1)!.sequence).toBe(1000);
    expect(pageTimeline([], 0, undefined)).toEqual({ events: [], page: { total: 0, heldFrom: 1 } });
  });

  it('of a response that never continued starts at the first event', () => {
    const { page } = pageTimeline(events(1, 40), 40, undefined);
    expect(page).toEqual({ total: 40, heldFrom: 1 });
  });
});
