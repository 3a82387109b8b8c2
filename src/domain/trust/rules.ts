import type { Actor, Role } from '../actor/actor.js';
import type { TrustKeys } from './attestation.js';

/** What a workflow is told to trust, by the worker that runs it (an activity: never from input). */
export interface Trust extends TrustKeys {
  /**
   * Accept identities Temporal itself vouches for (a server that enforces its own authorization),
   * so an unsigned signal or update may let automation go ahead. Off unless configured.
   */
  trustTemporalIdentity: boolean;
  /** Who may release the kill switch and remove a pause, rule or freeze. */
  lift: LiftPolicy;
}

export interface LiftPolicy {
  roles: Role[];
  /** The person who engaged a control may lift it too. */
  engager: boolean;
}

/**
 * Inputs that let automation go ahead or widen what it does need a verified person; the rest
 * (opt-out, reject, object, skip a step, require approval, notes, resolve, stop, engage a control,
 * hand over a mitigation of unknown effect)
 * make automation safer and are open to every channel. One list for both workflows.
 */
export function letsAutomationProceed(input: string, content: unknown): boolean {
  const body = (content ?? {}) as { decision?: unknown; type?: unknown; choice?: unknown };
  switch (input) {
    case 'decide':
      return body.decision === 'approve';
    case 'optIn':
    case 'releaseKillSwitch':
    case 'removeControl':
      return true;
    case 'override':
      return body.type === 'set-inputs';
    case 'settleMitigation':
      // Running it again or moving past it lets automation act; handing over stops it.
      return body.choice !== 'hand-over';
    default:
      return false;
  }
}

/** Teams: a person acts on their teams' incidents; `*` (or the admin role) means every team. */
export function teamRefusal(
  actor: Pick<Actor, 'id' | 'roles' | 'teams'>,
  team: string | undefined,
): string | undefined {
  if (!team || actor.roles.includes('admin') || actor.teams.includes('*') || actor.teams.includes(team))
    return undefined;
  const theirs = actor.teams.length ? actor.teams.join(', ') : 'none';
  return `${actor.id} acts for teams ${theirs}; this incident belongs to team ${team}`;
}

/** Who may lift a control: the policy's roles, or (when allowed) whoever engaged it. */
export function liftRefusal(
  actor: Pick<Actor, 'id' | 'roles'>,
  engagedBy: string | undefined,
  policy: LiftPolicy,
): string | undefined {
  if (actor.roles.some((r) => policy.roles.includes(r))) return undefined;
  if (policy.engager && engagedBy !== undefined && engagedBy === actor.id) return undefined;
  const who = [
    policy.roles.length ? `the roles ${policy.roles.join(', ')}` : '',
    policy.engager ? 'the person who engaged it' : '',
  ]
    .filter(Boolean)
    .join(' or ');
  return `${actor.id} may not lift this control: it needs ${who || 'nobody (lifting is disabled)'}`;
}
