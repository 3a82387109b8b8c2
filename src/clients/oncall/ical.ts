import ical from 'node-ical';
import type { CalendarResponse, VEvent } from 'node-ical';
import type { PersonDirectory } from './people.js';

export interface IcalFeedsOptions {
  people: PersonDirectory;
  /** How often a feed is fetched again (default 5 minutes). */
  refreshMs?: number;
  /** How long the last good copy stands in for a feed that cannot be fetched (default 1 hour). */
  maxStaleMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  log?: (message: string, attrs: Record<string, unknown>) => void;
}

export interface IcalFeeds {
  /** Principal ids on call in the feed at `at`; throws when the feed has not been readable for too long. */
  peopleFor(url: string, at: Date): Promise<string[]>;
}

/**
 * On-call schedules published as iCal feeds (PagerDuty's and Opsgenie's schedule exports, a shared
 * calendar). Each feed is fetched with our own timeout and parsed here, refreshed every few
 * minutes; while a refresh fails the last good copy is used for a while, and after that the feed
 * counts as unreadable (an error), never as "nobody on call".
 */
export function icalFeeds(options: IcalFeedsOptions): IcalFeeds {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const refreshMs = options.refreshMs ?? 300_000;
  const maxStaleMs = options.maxStaleMs ?? 3_600_000;
  const feeds = new Map<string, { calendar?: CalendarResponse; goodAt: number; triedAt: number }>();
  const inFlight = new Map<string, Promise<void>>();

  async function refresh(url: string): Promise<void> {
    const state = feeds.get(url) ?? { goodAt: 0, triedAt: 0 };
    feeds.set(url, state);
    state.triedAt = now();
    try {
      const res = await doFetch(url, {
        headers: { accept: 'text/calendar' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (!/BEGIN:VCALENDAR/.test(text)) throw new Error('not an iCal calendar');
      state.calendar = ical.sync.parseICS(text);
      state.goodAt = now();
    } catch (err) {
      // Feed URLs often carry a token: name the host only.
      const problem = `iCal feed ${hostOf(url)} unreadable: ${(err as Error).message}`;
      if (state.calendar && now() - state.goodAt < maxStaleMs) {
        options.log?.('iCal feed refresh failed; using the last good copy', { feed: hostOf(url), problem });
        return;
      }
      throw new Error(problem);
    }
  }

  return {
    async peopleFor(url, at) {
      const state = feeds.get(url);
      if (!state?.calendar || now() - state.triedAt >= refreshMs) {
        let pending = inFlight.get(url);
        if (!pending) {
          pending = refresh(url).finally(() => inFlight.delete(url));
          inFlight.set(url, pending);
        }
        await pending;
      }
      const fresh = feeds.get(url)!;
      if (!fresh.calendar || now() - fresh.goodAt >= maxStaleMs)
        throw new Error(`iCal feed ${hostOf(url)} has not been readable for too long`);
      return peopleInCalendar(fresh.calendar, at, options.people);
    },
  };
}

/** Everyone whose on-call event covers `at` ([start, end)), recurring events expanded, mapped to principals. */
export function peopleInCalendar(calendar: CalendarResponse, at: Date, people: PersonDirectory): string[] {
  const atMs = at.getTime();
  const ids: string[] = [];
  for (const component of Object.values(calendar)) {
    if (!component || component.type !== 'VEVENT') continue;
    const event = component;
    // An edited occurrence (RECURRENCE-ID) is applied by its series' expansion, not on its own.
    if (event.recurrenceid || event.status === 'CANCELLED') continue;
    for (const occurrence of occurrencesAt(event, at)) {
      if (occurrence.start.getTime() <= atMs && atMs < occurrence.end.getTime()) {
        const id = personOf(occurrence.event, people);
        if (id) ids.push(id);
      }
    }
  }
  return [...new Set(ids)];
}

function occurrencesAt(event: VEvent, at: Date): Array<{ start: Date; end: Date; event: VEvent }> {
  if (!event.rrule) {
    const end = event.end ?? (event.datetype === 'date' ? new Date(event.start.getTime() + 86_400_000) : event.start);
    return [{ start: event.start, end, event }];
  }
  // node-ical expands in the event's own time zone, so a 09:00 Berlin shift stays at 09:00 across
  // DST, and applies EXDATEs and edited occurrences; `expandOngoing` keeps a shift that began earlier.
  return ical
    .expandRecurringEvent(event, { from: at, to: at, expandOngoing: true })
    .filter((i) => i.event.status !== 'CANCELLED')
    .map((i) => ({ start: i.start, end: i.end, event: i.event }));
}

/** The person an event is about: an attendee's or the organizer's email, else a name in it. */
function personOf(event: VEvent, people: PersonDirectory): string | undefined {
  const attendees =
    event.attendee === undefined ? [] : Array.isArray(event.attendee) ? event.attendee : [event.attendee];
  const addresses = [...attendees, ...(event.organizer ? [event.organizer] : [])];
  for (const address of addresses) {
    const email = valueOf(address).replace(/^mailto:/i, '');
    const found = email.includes('@') ? people.byEmail(email) : undefined;
    if (found) return found.id;
  }
  const summary = valueOf(event.summary ?? '');
  for (const email of summary.match(/[^\s<>()"',;:]+@[^\s<>()"',;:]+/g) ?? []) {
    const found = people.byEmail(email);
    if (found) return found.id;
  }
  if (!people.byName) return undefined;
  const names = [
    ...addresses.map((a) => (typeof a === 'object' ? a.params?.CN : undefined)).filter((n): n is string => !!n),
    summary,
    // "On call - Alice Smith - Payments primary" (PagerDuty) or "Alice Smith: on call".
    ...summary.split(/\s+[-–|:]\s+|:\s*/),
  ];
  for (const name of names) {
    const found = name.trim() ? people.byName(name) : undefined;
    if (found) return found.id;
  }
  return undefined;
}

function valueOf(v: string | { val: string }): string {
  return typeof v === 'string' ? v : v.val;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'feed';
  }
}
