import { readConfigFile } from '../config/catalog.js';
import { validateConfig } from '../config/yaml-source.js';
import { principalsFileSchema } from '../../api/auth/principals.js';
import type { Contact } from './channel.js';

/**
 * The people channels reach, from the gateway's principals file. Read with the file's schema
 * only (not as a PrincipalDirectory): the worker needs names and addresses, not the alert
 * sources' signing secrets, which it does not hold.
 */
export function contactsFromFile(file: string): Contact[] {
  const parsed = validateConfig(principalsFileSchema, readConfigFile(file), file);
  return parsed.principals.map((p) => ({ id: p.id, name: p.name, email: p.email, slack: p.slack }));
}
