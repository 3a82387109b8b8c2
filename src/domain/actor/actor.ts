import { z } from 'zod';

/** Where a human input came from; recorded with every decision so auditors can tell. */
export const CHANNELS = ['api', 'console', 'slack', 'email', 'cli', 'temporal-ui', 'system'] as const;
export type Channel = (typeof CHANNELS)[number];

export const ROLES = ['responder', 'approver', 'auditor', 'admin', 'alert-source'] as const;
export type Role = (typeof ROLES)[number];

export const actorSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  channel: z.enum(CHANNELS),
  roles: z.array(z.enum(ROLES)).default([]),
  /** Approver tiers and teams, e.g. "tier1", "sme:postgres", "lead". */
  groups: z.array(z.string().min(1).max(100)).default([]),
  /** The teams whose incidents this person acts on; "*" for every team. */
  teams: z.array(z.string().min(1).max(100)).default([]),
});
export type Actor = z.infer<typeof actorSchema>;

/** The automation itself, for events no person caused. */
export const SYSTEM_ACTOR: Actor = {
  id: 'interlock',
  name: 'Interlock automation',
  channel: 'system',
  roles: [],
  groups: [],
  teams: [],
};
