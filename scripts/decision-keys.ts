/**
 * `npm run keys -- <dir> [--id KEY_ID]`: a new Ed25519 key pair for signed decisions.
 *   <dir>/decision-signing.pem  the gateway's private key (DECISION_SIGNING_KEY_FILE; mode 600)
 *   <dir>/decision-keys.yaml    the public key the workers trust (DECISION_KEYS_FILE)
 * To rotate: generate a new pair, add its public key to every worker's keys file first, then give
 * the gateway the new private key and id; drop the old public key once no decision signed with
 * it can still be fresh (DECISION_MAX_AGE_SECONDS).
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { id: { type: 'string' } } });
const dir = positionals[0];
if (!dir) {
  console.error('usage: npm run keys -- <dir> [--id KEY_ID]');
  process.exit(2);
}
const id = values.id ?? `gateway-${new Date().toISOString().slice(0, 10)}`;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
fs.mkdirSync(dir, { recursive: true });
const privateFile = path.join(dir, 'decision-signing.pem');
const publicFile = path.join(dir, 'decision-keys.yaml');
fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
fs.writeFileSync(publicFile, `keys:\n  - id: ${id}\n    publicKey: |\n${pem.replace(/^/gm, '      ')}\n`);
console.log(
  `key id ${id}\n  gateway: DECISION_SIGNING_KEY_FILE=${privateFile} DECISION_SIGNING_KEY_ID=${id}\n  workers: DECISION_KEYS_FILE=${publicFile}`,
);
