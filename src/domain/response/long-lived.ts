import type { AuditEvent } from '../audit/event.js';
import type { Notification } from '../notification/notification.js';
import type { Playbook } from '../playbook/playbook.js';
import type { ActionSpec } from '../playbook/playbook.js';
import type { Policy } from '../policy/policy.js';
import type { ActorRef, ResponseStatus } from './status.js';

/**
 * A response that lives for days, or takes thousands of inputs, continues as new (a fresh
 * Temporal run under the same workflow ID) before its history grows too large. What it needs
 * to go on is carried as the new run's input: this module holds the pure rules of that (what
 * is kept, what is trimmed, how the timeline is paged), so they are tested without a server.
 */

/** When a response continues as new; each bound is checked at safe points only. */
export interface ContinueAsNewLimits {
  /** History events of one run (Temporal's hard limit is 51,200; it suggests continuing at a few thousand). */
  events?: number;
  /** History size of one run in bytes (Temporal's hard limit is 50 MB). */
  bytes?: number;
}

export const DEFAULT_LIMITS: Required<ContinueAsNewLimits> = { events: 10_000, bytes: 10 * 1024 * 1024 };

/** Below these a run would continue again at once (a new run starts with a few dozen events). */
export const MIN_LIMITS: Required<ContinueAsNewLimits> = { events: 100, bytes: 64 * 1024 };

/** How much of what only grows is carried: older entries stay in the audit trail (OpenSearch). */
export const CARRY = {
  /** Audit events kept in the workflow for the status view; older pages come from the store. */
  timeline: 200,
  /** Released opt-outs kept beside every active one. */
  releasedOptOuts: 20,
  /** Notes kept on a handover (every note is also an audit event). */
  notes: 50,
  /** Alert delivery IDs remembered to drop a sender's repeat. */
  deliveryIds: 1000,
} as const;

/** Is it time to continue as new: Temporal suggests it, or a bound is passed. */
export function continueAsNewDue(
  info: { historyLength: number; historySize: number; continueAsNewSuggested: boolean },
  limits: ContinueAsNewLimits | undefined,
): boolean {
  // A bound that is not a number, or too small, would make a run continue again at once.
  const bound = (v: unknown, min: number, fallback: number) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.max(v, min) : fallback;
  const events = bound(limits?.events, MIN_LIMITS.events, DEFAULT_LIMITS.events);
  const bytes = bound(limits?.bytes, MIN_LIMITS.bytes, DEFAULT_LIMITS.bytes);
  return info.continueAsNewSuggested || info.historyLength >= events || info.historySize >= bytes;
}

/** Everything a continued run starts from. Plain JSON: it is the next run's input. */
export interface CarriedResponse {
  /** Bumped when the shape changes, so a newer worker can read an older carry. */
  version: 1;
  /** How many runs came before this one (1 for the first continuation). */
  runs: number;
  /** The status, with its timeline empty (the tail travels in `timeline`). */
  status: ResponseStatus;
  /** The newest audit events, for the status view; all of them are already in the store, or in `audit.pending`. */
  timeline: AuditEvent[];
  audit: {
    /** The chain's position: the next event is `sequence + 1`, linked to `hash`. */
    sequence: number;
    hash: string;
    /** Events recorded but not yet indexed: the next run indexes them first. */
    pending: AuditEvent[];
  };
  /** The playbook and policy chosen when the response began: a continued run keeps them. */
  playbook?: Playbook;
  policy?: Policy;
  compensations: Array<{ stepId: string; action: ActionSpec }>;
  stepsRun: string[];
  resolved: boolean;
  stopRequest?: { actor: ActorRef; reason: string; event: AuditEvent };
  seenDeliveries: string[];
  notificationsSent: number;
  /** Notifications raised but not yet sent (the outbox's queue). */
  outbox: Notification[];
  recordsDeliveries: boolean;
  /** Nonces of signed decisions already taken, with how long each must be remembered. */
  nonces: Array<[string, number]>;
  controlsVersion: number;
  /** Opt-outs ever engaged (their IDs count up; released ones beyond the newest few are trimmed). */
  optOutsIssued: number;
}

/**
 * The status as carried: released opt-outs beyond the newest few and handover notes beyond the
 * newest few are dropped (each is in the audit trail). Approvals and overrides are kept whole:
 * their IDs are counted from them, and the safety rule reads them.
 */
export function trimStatus(status: ResponseStatus): ResponseStatus {
  const released = status.optOuts.filter((o) => !o.active);
  const keepReleased = new Set(released.slice(-CARRY.releasedOptOuts));
  const optOuts = status.optOuts.filter((o) => o.active || keepReleased.has(o));
  const handover = status.handover && { ...status.handover, notes: status.handover.notes.slice(-CARRY.notes) };
  return { ...status, optOuts, handover, timeline: [] };
}

/** What the status query may be asked for: a page of the timeline, newest last. */
export interface TimelinePageArgs {
  /** At most this many events (default 100, at most 500). */
  limit?: number;
  /** Only events with a sequence below this (the previous page's `nextBefore`). */
  before?: number;
}

export const TIMELINE_DEFAULT_LIMIT = 100;
export const TIMELINE_MAX_LIMIT = 500;

/** What the status view says about its timeline page. */
export interface TimelinePage {
  /** Events the response has recorded, across every run. */
  total: number;
  /** Pass as `before` for the page before this one; absent on the first page. */
  nextBefore?: number;
  /** The oldest sequence the response still holds; older pages are in the audit trail (GET /v1/incidents/:id/timeline). */
  heldFrom: number;
}

/**
 * One page of the events a response holds (ordered by sequence). Bad arguments fall back to
 * the defaults: a query must always answer (the Temporal UI sends what a person typed).
 */
export function pageTimeline(
  held: readonly AuditEvent[],
  total: number,
  args: TimelinePageArgs | undefined,
): { events: AuditEvent[]; page: TimelinePage } {
  const rawLimit = Number(args?.limit ?? TIMELINE_DEFAULT_LIMIT);
  const limit =
    Number.isInteger(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, TIMELINE_MAX_LIMIT) : TIMELINE_DEFAULT_LIMIT;
  const before = Number(args?.before);
  let end = held.length;
  if (Number.isFinite(before)) {
    // Binary search: held is in sequence order, and may be thousands long.
    let lo = 0;
    let hi = held.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (held[mid]!.sequence < before) lo = mid + 1;
      else hi = mid;
    }
    end = lo;
  }
  const start = Math.max(0, end - limit);
  const events = held.slice(start, end);
  const heldFrom = held[0]?.sequence ?? total + 1;
  const first = events[0]?.sequence;
  const page: TimelinePage = { total, heldFrom };
  if (first !== undefined && first > 1) page.nextBefore = first;
  return { events, page };
}
