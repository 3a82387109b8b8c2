import type { Client } from '@opensearch-project/opensearch';
import { createEmailChannel } from '../clients/notify/email/email-channel.js';
import { contactsFromFile } from '../clients/notify/email/contacts.js';
import { createEmailTokenStore } from '../clients/opensearch/email-tokens.js';
import { ConfigError, type WorkerConfig } from '../config/env.js';

/** The email channel from the worker's settings; undefined (off) when SMTP_URL is unset. */
export function emailFromConfig(config: WorkerConfig, opensearch: Client) {
  if (!config.SMTP_URL) return undefined;
  const missing = (['PUBLIC_GATEWAY_URL', 'PRINCIPALS_FILE'] as const).filter((k) => !config[k]);
  if (missing.length)
    throw new ConfigError(
      `Invalid configuration:\n  ${missing.join(', ')}: required with SMTP_URL (decision links; whom to mail)`,
    );
  // Read once at start, like the gateway reads it: a broken file stops the worker with its line.
  const contacts = contactsFromFile(config.PRINCIPALS_FILE!);
  return {
    channel: createEmailChannel({
      smtpUrl: config.SMTP_URL,
      from: config.EMAIL_FROM,
      gatewayUrl: () => config.PUBLIC_GATEWAY_URL,
      tokens: createEmailTokenStore(opensearch, config.AUDIT_INDEX_PREFIX),
    }),
    contacts: () => contacts,
  };
}
