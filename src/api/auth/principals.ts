import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { CHANNELS, ROLES, type Actor, type Channel, type Role } from '../../domain/actor/actor.js';
import { describeIssues } from '../../domain/response/inputs.js';

/**
 * Static API tokens, mapped to people. Only the SHA-256 of each token is stored, so the file
 * can be read by anyone who may see the configuration without handing out credentials.
 */
const principalsFileSchema = z.object({
  principals: z
    .array(
      z
        .object({
          id: z.string().min(1),
          name: z.string().min(1),
          roles: z.array(z.enum(ROLES)).min(1),
          groups: z.array(z.string().min(1)).default([]),
          tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'hex SHA-256 of the token'),
        })
        .strict(),
    )
    .min(1),
});

export interface Principal {
  id: string;
  name: string;
  roles: Role[];
  groups: string[];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class PrincipalDirectory {
  private constructor(private readonly entries: Array<Principal & { digest: Buffer }>) {}

  static fromYaml(source: string, origin = 'principals file'): PrincipalDirectory {
    const parsed = principalsFileSchema.safeParse(parse(source));
    if (!parsed.success) throw new Error(`${origin}: ${describeIssues(parsed.error)}`);
    return new PrincipalDirectory(
      parsed.data.principals.map(({ tokenSha256, ...p }) => ({ ...p, digest: Buffer.from(tokenSha256, 'hex') })),
    );
  }

  static fromFile(file: string): PrincipalDirectory {
    return PrincipalDirectory.fromYaml(fs.readFileSync(file, 'utf8'), file);
  }

  authenticate(token: string): Principal | undefined {
    const digest = Buffer.from(hashToken(token), 'hex');
    const match = this.entries.find((e) => timingSafeEqual(e.digest, digest));
    if (!match) return undefined;
    const { digest: _digest, ...principal } = match;
    return principal;
  }
}

/** The actor recorded for a request: always the authenticated principal, never a body field. */
export function actorFor(principal: Principal, channelHeader: string | undefined): Actor {
  const channel: Channel = CHANNELS.includes(channelHeader as Channel) && channelHeader !== 'system' && channelHeader !== 'temporal-ui' ? (channelHeader as Channel) : 'api';
  return { id: principal.id, name: principal.name, channel, roles: principal.roles, groups: principal.groups };
}
