import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { ConfigFileError } from '../../clients/config/config-file-error.js';
import type { Actor } from '../../domain/actor/actor.js';
import { newClaims, type Attestation } from '../../domain/trust/attestation.js';

/**
 * Signs what the gateway forwards to a workflow: the person as authenticated here, the workflow
 * and input it is for, a digest of its content, the time and a nonce (src/domain/trust). The
 * workflows verify it with the matching public key, so nobody who merely reaches Temporal can
 * approve as somebody else or replay a decision.
 */
export interface DecisionSigner {
  readonly keyId: string;
  attest(actor: Actor, workflowId: string, input: string, content: unknown): Attestation;
}

export function createDecisionSigner(options: {
  keyId: string;
  privateKey: KeyObject;
  now?: () => number;
}): DecisionSigner {
  if (options.privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('the decision signing key must be an Ed25519 key');
  const now = options.now ?? Date.now;
  return {
    keyId: options.keyId,
    attest(actor, workflowId, input, content) {
      const claims = newClaims({
        actor: {
          id: actor.id,
          name: actor.name,
          channel: actor.channel,
          roles: actor.roles,
          groups: actor.groups,
          teams: actor.teams ?? [],
        },
        workflowId,
        input,
        content,
        nowMs: now(),
        nonce: randomUUID(),
      });
      const signature = sign(null, Buffer.from(claims, 'utf8'), options.privateKey).toString('hex');
      return { keyId: options.keyId, claims, signature };
    },
  };
}

/** The gateway's signing key: an Ed25519 private key in PEM (PKCS#8), e.g. from `npm run keys`. */
export function loadDecisionSigner(file: string, keyId: string): DecisionSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(file, code === 'ENOENT' ? 'no such file' : 'not a PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new ConfigFileError(file, `an Ed25519 key is needed, this is ${privateKey.asymmetricKeyType}`);
  return createDecisionSigner({ keyId, privateKey });
}
