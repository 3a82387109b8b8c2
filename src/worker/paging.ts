import fs from 'node:fs';
import { contactsFromFile } from '../clients/notify/contacts.js';
import type { Contact, NotificationChannel } from '../clients/notify/channel.js';
import { pagerDutyChannel } from '../clients/notify/pagerduty.js';
import { onCallLookup } from '../clients/oncall/combined.js';
import { icalFeeds } from '../clients/oncall/ical.js';
import type { OnCallLookup } from '../clients/oncall/lookup.js';
import { pagerDutyOnCall } from '../clients/oncall/pagerduty.js';
import { contactDirectory } from '../clients/oncall/people.js';
import { settingFileReader } from '../clients/setting-files.js';
import { ConfigError, type WorkerConfig } from '../config/env.js';
import type { Rotation } from '../domain/oncall/rotation.js';

/** The worker's logger (pino's argument order: attributes first). */
type Log = Record<'info' | 'warn', (attrs: Record<string, unknown>, message: string) => void>;

/**
 * The worker's PagerDuty channel, on-call sources and contacts, from its environment. Kept out of
 * main.ts so that file stays a list of wiring. Secrets (routing key, API key) are read here and go
 * only into the clients: never into a log line or an error.
 */
export function pagingSetup(
  config: WorkerConfig,
  rotation: () => Rotation | undefined,
  log: Log,
  readFile: (file: string) => Buffer = (f) => fs.readFileSync(f),
): { channels: NotificationChannel[]; onCall: OnCallLookup; contacts: () => Contact[] } {
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  const secret = (name: string, value: string | undefined, file: string | undefined) => {
    if (value && file) problems.push(`set ${name} or ${name}_FILE, not both`);
    return value ?? read(`${name}_FILE`, file)?.toString('utf8').trim();
  };
  const routingKey = secret('PAGERDUTY_ROUTING_KEY', config.PAGERDUTY_ROUTING_KEY, config.PAGERDUTY_ROUTING_KEY_FILE);
  const apiKey = secret('PAGERDUTY_API_KEY', config.PAGERDUTY_API_KEY, config.PAGERDUTY_API_KEY_FILE);
  if (routingKey !== undefined && routingKey.length !== 32)
    problems.push('PAGERDUTY_ROUTING_KEY: a PagerDuty integration key has 32 characters');
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  // The principals file without its token digests and signing secrets: the worker needs addresses only.
  const contactList: Contact[] = contactsFromFile(config.PRINCIPALS_FILE);
  const contacts = () => contactList;
  const people = contactDirectory(contacts);
  // Unknown people and unreadable sources are worth a warning; no secret is ever in the attributes.
  const warn = (message: string, attrs: Record<string, unknown>) => log.warn(attrs, message);
  const channels = routingKey
    ? [
        pagerDutyChannel({
          routingKey,
          eventsUrl: config.PAGERDUTY_EVENTS_URL,
          clientUrl: config.PUBLIC_CONSOLE_URL ?? config.PUBLIC_GATEWAY_URL,
          slackWorkspaceUrl: config.SLACK_WORKSPACE_URL,
        }),
      ]
    : [];
  const onCall = onCallLookup(rotation, {
    pagerduty: apiKey ? pagerDutyOnCall({ apiKey, apiUrl: config.PAGERDUTY_API_URL, people, log: warn }) : undefined,
    ical: icalFeeds({ people, log: warn }),
    log: warn,
  });
  log.info(
    { pagerdutyEvents: Boolean(routingKey), pagerdutyOnCall: Boolean(apiKey), contacts: contactList.length },
    'paging and on-call sources',
  );
  return { channels, onCall, contacts };
}
