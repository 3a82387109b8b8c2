import { onCall, type Rotation } from '../../domain/oncall/rotation.js';

/**
 * Who is on call for an approver tier at a time, from whichever sources a deployment configures
 * (a rotation file, an iCal feed, PagerDuty's on-call API). Person ids as in the principals file.
 * `undefined`: no source covers the tier (the request goes to the tier's shared channels only);
 * `[]`: a source covers it and nobody is on call now, which the workflow treats as an escalation.
 * Throws when a source cannot be read: the caller decides (it never silently means "nobody").
 */
export interface OnCallLookup {
  peopleFor(tier: string, at: Date): Promise<string[] | undefined>;
}

/** The rotation file (ONCALL_FILE), re-read through `current` so an edit applies to the next request. */
export function rotationLookup(current: () => Rotation | undefined): OnCallLookup {
  return {
    async peopleFor(tier, at) {
      const rotation = current();
      if (!rotation?.tiers[tier]) return undefined;
      return onCall(rotation, tier, at.getTime());
    },
  };
}
