import { onCall, overridesAt, type Rotation } from '../../domain/oncall/rotation.js';
import type { IcalFeeds } from './ical.js';
import type { OnCallLookup } from './lookup.js';
import type { PagerDutyOnCall } from './pagerduty.js';

export interface OnCallSources {
  /** PagerDuty's on-call API (PAGERDUTY_API_KEY); a tier naming PagerDuty without it is unreadable. */
  pagerduty?: PagerDutyOnCall;
  /** iCal feeds (PagerDuty and Opsgenie schedule exports). */
  ical?: IcalFeeds;
  log?: (message: string, attrs: Record<string, unknown>) => void;
}

/**
 * The rotation file decides which sources speak for a tier: its own layers, an iCal feed, PagerDuty,
 * or several (their people are added up). An override in the file wins over all of them, so a
 * swap agreed in the team applies even when PagerDuty says otherwise. A tier the file does not
 * name has no source (undefined); a named tier where nobody is on call gives [].
 *
 * When one of several sources cannot be read, the people the others name are still asked (and
 * the failure logged); only when that leaves nobody does the lookup throw, because an unreadable
 * source must never pass for "nobody on call" (which escalates).
 */
export function onCallLookup(rotation: () => Rotation | undefined, sources: OnCallSources = {}): OnCallLookup {
  return {
    async peopleFor(tier, at) {
      const current = rotation();
      const schedule = current?.tiers[tier];
      if (!current || !schedule) return undefined;
      const overriding = overridesAt(current, tier, at.getTime());
      if (overriding.length) return overriding;

      const asked: Array<{ source: string; people: Promise<string[]> }> = [];
      if (schedule.layers.length)
        asked.push({ source: 'rotation file', people: Promise.resolve(onCall(current, tier, at.getTime())) });
      if (schedule.ical) {
        const url = schedule.ical.url;
        asked.push({
          source: 'iCal feed',
          people: sources.ical
            ? sources.ical.peopleFor(url, at)
            : Promise.reject(new Error('iCal feeds are not enabled in this worker')),
        });
      }
      if (schedule.pagerduty) {
        const pd = schedule.pagerduty;
        asked.push({
          source: 'PagerDuty',
          people: sources.pagerduty
            ? sources.pagerduty.peopleFor(pd, at)
            : Promise.reject(new Error('PagerDuty on-call needs PAGERDUTY_API_KEY or PAGERDUTY_API_KEY_FILE')),
        });
      }
      const settled = await Promise.allSettled(asked.map((a) => a.people));
      const people = new Set<string>();
      const failures: string[] = [];
      settled.forEach((result, i) => {
        if (result.status === 'fulfilled') result.value.forEach((p) => people.add(p));
        else failures.push(`${asked[i]!.source}: ${(result.reason as Error).message}`);
      });
      if (failures.length && people.size === 0) throw new Error(`on-call for ${tier} unknown (${failures.join('; ')})`);
      if (failures.length) sources.log?.('an on-call source is unreadable; asking the others', { tier, failures });
      return [...people];
    },
  };
}
