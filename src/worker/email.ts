import type { Client } from '@opensearch-project/opensearch';
import { createEmailChannel } from '../clients/notify/email/email-channel.js';
import { createEmailTokenStore } from '../clients/opensearch/email-tokens.js';
import { ConfigError, type WorkerConfig } from '../config/env.js';

/** The email channel from the worker's settings; undefined (off) when SMTP_URL is unset. */
export function emailFromConfig(config: WorkerConfig, opensearch: Client) {
  if (!config.SMTP_URL) return undefined;
  if (!config.PUBLIC_GATEWAY_URL)
    throw new ConfigError('Invalid configuration:\n  PUBLIC_GATEWAY_URL: required with SMTP_URL (the decision links)');
  return {
    channel: createEmailChannel({
      smtpUrl: config.SMTP_URL,
      from: config.EMAIL_FROM,
      gatewayUrl: () => config.PUBLIC_GATEWAY_URL,
      tokens: createEmailTokenStore(opensearch, config.AUDIT_INDEX_PREFIX),
    }),
  };
}
