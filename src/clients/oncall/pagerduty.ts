import type { PersonDirectory } from './people.js';

export interface PagerDutySource {
  scheduleIds?: string[];
  escalationPolicyIds?: string[];
  /** Only this escalation level (1 = first responders); unset: every level. */
  escalationLevel?: number;
}

export interface PagerDutyOnCallOptions {
  /** A REST API key (a secret: never logged, never in an error). */
  apiKey: string;
  /** Default https://api.pagerduty.com. */
  apiUrl?: string;
  /** Maps PagerDuty users to Interlock principals by email. */
  people: PersonDirectory;
  /** How long an answer is reused: PagerDuty rate-limits its REST API per key. */
  cacheMs?: number;
  timeoutMs?: number;
  log?: (message: string, attrs: Record<string, unknown>) => void;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface PagerDutyOnCall {
  /** Principal ids on call for the source at `at`; throws when PagerDuty cannot be read. */
  peopleFor(source: PagerDutySource, at: Date): Promise<string[]>;
}

interface OnCallEntry {
  user?: { id?: string; email?: string; summary?: string };
  escalation_level?: number;
  start?: string | null;
  end?: string | null;
}

const PAGE = 100;
const MAX_PAGES = 50;

/**
 * Who PagerDuty says is on call (`GET /oncalls`), mapped to principals by email. PagerDuty is the
 * authority for its schedules, so its answer is used as is: an empty answer means nobody.
 */
export function pagerDutyOnCall(options: PagerDutyOnCallOptions): PagerDutyOnCall {
  const base = (options.apiUrl ?? 'https://api.pagerduty.com').replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 30_000;
  const cache = new Map<string, { at: number; entries: OnCallEntry[] }>();
  const unknownLogged = new Set<string>();

  async function fetchAll(source: PagerDutySource): Promise<OnCallEntry[]> {
    const entries: OnCallEntry[] = [];
    for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ earliest: 'true', time_zone: 'UTC', limit: String(PAGE) });
      query.append('include[]', 'users');
      for (const id of source.scheduleIds ?? []) query.append('schedule_ids[]', id);
      for (const id of source.escalationPolicyIds ?? []) query.append('escalation_policy_ids[]', id);
      query.set('offset', String(offset));
      let res: Response;
      try {
        res = await doFetch(`${base}/oncalls?${query}`, {
          headers: { authorization: `Token token=${options.apiKey}`, accept: 'application/json' },
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new Error(`PagerDuty on-call API unreachable: ${(err as Error).message}`);
      }
      if (!res.ok) throw new Error(`PagerDuty on-call API answered HTTP ${res.status}`);
      const body = (await res.json()) as { oncalls?: OnCallEntry[]; more?: boolean };
      if (!Array.isArray(body.oncalls)) throw new Error('PagerDuty on-call API answered without oncalls');
      entries.push(...body.oncalls);
      if (!body.more || body.oncalls.length === 0) return entries;
      offset += body.oncalls.length;
    }
    throw new Error(`PagerDuty on-call API: more than ${MAX_PAGES} pages`);
  }

  return {
    async peopleFor(source, at) {
      const key = JSON.stringify([source.scheduleIds ?? [], source.escalationPolicyIds ?? []]);
      let cached = cache.get(key);
      if (!cached || now() - cached.at >= cacheMs) {
        cached = { at: now(), entries: await fetchAll(source) };
        cache.set(key, cached);
      }
      const atMs = at.getTime();
      const ids: string[] = [];
      for (const entry of cached.entries) {
        if (source.escalationLevel !== undefined && entry.escalation_level !== source.escalationLevel) continue;
        // Entries for a later shift (possible in a cached answer) do not count yet; `end: null` is "always".
        if (entry.start && Date.parse(entry.start) > atMs) continue;
        if (entry.end && Date.parse(entry.end) <= atMs) continue;
        const email = entry.user?.email;
        const person = email ? options.people.byEmail(email) : undefined;
        if (person) ids.push(person.id);
        else {
          const who = email ?? entry.user?.id ?? 'a user without an email';
          if (!unknownLogged.has(who)) {
            unknownLogged.add(who);
            options.log?.('PagerDuty on-call user matches no principal (by email); skipped', {
              user: entry.user?.id,
              email,
            });
          }
        }
      }
      return [...new Set(ids)];
    },
  };
}
