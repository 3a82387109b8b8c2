import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { ROLES } from '../../domain/actor/actor.js';
import type { Trust } from '../../domain/trust/rules.js';
import { ConfigFileError } from './config-file-error.js';
import { parseYaml, readConfigFile } from './catalog.js';

/** The gateway public keys the workflows accept signed decisions from (DECISION_KEYS_FILE). */
const keysFileSchema = z
  .object({
    keys: z
      .array(
        z
          .object({
            id: z.string().min(1).max(100),
            /** An Ed25519 public key in PEM (SPKI), as `npm run keys` writes it. */
            publicKey: z.string().min(1),
          })
          .strict(),
      )
      .min(1, 'list at least one key'),
  })
  .strict();

export interface TrustSettings {
  keysFile?: string;
  maxAgeSeconds: number;
  trustTemporalIdentity: boolean;
  liftRoles: string[];
  engagerMayLift: boolean;
}

/** Read the keys file and the settings into what the workflows are given (see loadTrust activity). */
export function loadTrust(settings: TrustSettings): Trust {
  const keys: Record<string, string> = {};
  if (settings.keysFile) {
    const file = settings.keysFile;
    const parsed = keysFileSchema.safeParse(parseYaml(readConfigFile(file), file));
    if (!parsed.success) throw ConfigFileError.fromZod(file, parsed.error);
    parsed.data.keys.forEach((k, i) => {
      if (keys[k.id]) throw new ConfigFileError(file, `keys.${i}.id: "${k.id}" is listed twice`);
      keys[k.id] = publicKeyHex(file, i, k.publicKey);
    });
  }
  const roles = settings.liftRoles.filter((r): r is (typeof ROLES)[number] => (ROLES as readonly string[]).includes(r));
  return {
    keys,
    maxAgeMs: settings.maxAgeSeconds * 1000,
    trustTemporalIdentity: settings.trustTemporalIdentity,
    lift: { roles, engager: settings.engagerMayLift },
  };
}

/** The raw 32 bytes of an Ed25519 public key, hex: what the workflow's verifier takes. */
function publicKeyHex(file: string, index: number, pem: string): string {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`an Ed25519 key is needed, this is ${key.asymmetricKeyType}`);
    const jwk = key.export({ format: 'jwk' });
    return Buffer.from(jwk.x!, 'base64url').toString('hex');
  } catch (err) {
    throw new ConfigFileError(file, `keys.${index}.publicKey: ${(err as Error).message}`);
  }
}
