import type { Contact } from '../notify/channel.js';

/**
 * How on-call sources outside Interlock (PagerDuty, iCal feeds) name a person, mapped to a
 * principal id. `PrincipalDirectory` fits (byEmail); `contactDirectory` builds one from contacts.
 */
export interface PersonDirectory {
  byEmail(email: string): { id: string } | undefined;
  byName?(name: string): { id: string } | undefined;
}

/** Emails compare case-insensitively (as PrincipalDirectory does); names exactly, ignoring case and spaces around. */
export function contactDirectory(contacts: () => Contact[]): PersonDirectory {
  const norm = (s: string) => s.trim().toLowerCase();
  return {
    byEmail(email) {
      const wanted = norm(email);
      return contacts().find((c) => c.email !== undefined && norm(c.email) === wanted);
    },
    byName(name) {
      const wanted = norm(name);
      const matches = contacts().filter((c) => norm(c.name) === wanted || c.id === name.trim());
      // Two people with one name: guessing would page the wrong one.
      return matches.length === 1 ? matches[0] : undefined;
    },
  };
}
