import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CHANNELS, ROLES, type Actor, type Channel, type Role } from '../../domain/actor/actor.js';
import { readConfigFile } from '../../clients/config/catalog.js';
import { validateConfig } from '../../clients/config/yaml-source.js';
import { ConfigFileError } from '../../clients/config/config-file-error.js';

/**
 * Static API tokens, mapped to people. Only the SHA-256 of each token is stored, so the file
 * can be read by anyone who may see the configuration without handing out credentials.
 */
export const principalsFileSchema = z.object({
  principals: z
    .array(
      z
        .object({
          id: z.string().min(1),
          name: z.string().min(1),
          roles: z.array(z.enum(ROLES)).min(1),
          groups: z.array(z.string().min(1)).default([]),
          /** Teams whose incidents this person acts on ("*": every team). */
          teams: z.array(z.string().min(1)).default([]),
          /** Where channels reach this person: email for approval mail, Slack member id for DMs and clicks. */
          email: z.email().optional(),
          slack: z
            .string()
            .regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack member id like U0123ABCD')
            .optional(),
          tokenSha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/, 'hex SHA-256 of the token')
            .optional(),
          /** For alert sources that sign deliveries instead of sending a token. */
          signing: z
            .object({
              scheme: z.enum(['interlock-v1', 'pagerduty-v1']),
              /** The secret stays out of the file: it is read from this environment variable. */
              secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
            })
            .strict()
            .optional(),
        })
        .strict()
        .refine(
          (p) => p.tokenSha256 || p.signing || p.email || p.slack,
          'a principal needs tokenSha256, signing, or a channel (email, slack) to act through',
        ),
    )
    .min(1),
});

export interface SigningSource {
  principal: Principal;
  scheme: 'interlock-v1' | 'pagerduty-v1';
  secret: string;
}

export interface Principal {
  id: string;
  name: string;
  roles: Role[];
  groups: string[];
  teams?: string[];
  email?: string;
  slack?: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class PrincipalDirectory {
  private constructor(
    private readonly entries: Array<Principal & { digest?: Buffer }>,
    readonly signingSources: SigningSource[],
  ) {}

  static fromYaml(
    source: string,
    origin = 'principals file',
    env: NodeJS.ProcessEnv = process.env,
  ): PrincipalDirectory {
    const parsed = validateConfig(principalsFileSchema, source, origin);
    const signing: SigningSource[] = [];
    const entries = parsed.principals.map(({ tokenSha256, signing: sign, ...p }) => {
      if (sign) {
        const secret = env[sign.secretEnv];
        if (!secret)
          throw new ConfigFileError(
            origin,
            `principal ${p.id} signs with the secret in ${sign.secretEnv}, which is not set`,
          );
        signing.push({ principal: p, scheme: sign.scheme, secret });
      }
      return { ...p, digest: tokenSha256 ? Buffer.from(tokenSha256, 'hex') : undefined };
    });
    return new PrincipalDirectory(entries, signing);
  }

  static fromFile(file: string, env: NodeJS.ProcessEnv = process.env): PrincipalDirectory {
    return PrincipalDirectory.fromYaml(readConfigFile(file), file, env);
  }

  /** Everyone in the file (without token digests): the contacts channels deliver to. */
  get all(): Principal[] {
    return this.entries.map(({ digest: _digest, ...p }) => p);
  }

  byId(id: string): Principal | undefined {
    return this.all.find((p) => p.id === id);
  }

  /** The person a Slack member id belongs to, as configured (never guessed from a display name). */
  bySlackUser(slackUserId: string): Principal | undefined {
    return this.all.find((p) => p.slack === slackUserId);
  }

  /** Email addresses compare case-insensitively (as mail systems treat them in practice). */
  byEmail(email: string): Principal | undefined {
    const wanted = email.trim().toLowerCase();
    return this.all.find((p) => p.email?.toLowerCase() === wanted);
  }

  authenticate(token: string): Principal | undefined {
    const digest = Buffer.from(hashToken(token), 'hex');
    const match = this.entries.find((e) => e.digest && timingSafeEqual(e.digest, digest));
    if (!match) return undefined;
    const { digest: _digest, ...principal } = match;
    return principal;
  }
}

/** The actor recorded for a request: always the authenticated principal, never a body field. */
export function actorFor(principal: Principal, channelHeader: string | undefined): Actor {
  const channel: Channel =
    CHANNELS.includes(channelHeader as Channel) && channelHeader !== 'system' && channelHeader !== 'temporal-ui'
      ? (channelHeader as Channel)
      : 'api';
  return {
    id: principal.id,
    name: principal.name,
    channel,
    roles: principal.roles,
    groups: principal.groups,
    teams: principal.teams ?? [],
  };
}
