import type { WebClient } from '@slack/web-api';
import type { Principal, PrincipalDirectory } from '../auth/principals.js';

/**
 * The Interlock person behind a Slack member: the principals file's `slack` id first; otherwise
 * the email on the member's Slack profile (users.info, needs `users:read.email`) matched to a
 * principal's `email`. Lookups are cached for a few minutes (Slack rate-limits users.info); a
 * member mapped to nobody gets nothing, whatever their Slack name claims.
 */
export function slackPeople(principals: PrincipalDirectory, client: WebClient | undefined, ttlMs = 300_000) {
  const cache = new Map<string, { id: string | undefined; at: number }>();
  return async function principalFor(slackUserId: string, nowMs = Date.now()): Promise<Principal | undefined> {
    const configured = principals.bySlackUser(slackUserId);
    if (configured) return configured;
    if (!client) return undefined;
    const hit = cache.get(slackUserId);
    if (hit && nowMs - hit.at < ttlMs) return hit.id ? principals.byId(hit.id) : undefined;
    let email: string | undefined;
    try {
      const info = await client.users.info({ user: slackUserId });
      email = info.user?.profile?.email;
    } catch {
      // Unknown member or Slack unreachable: nobody (and not cached, so it is asked again).
      return undefined;
    }
    const principal = email ? principals.byEmail(email) : undefined;
    cache.set(slackUserId, { id: principal?.id, at: nowMs });
    return principal;
  };
}
