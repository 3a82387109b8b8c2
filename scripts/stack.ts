/**
 * `npm run stack -- [up|check] [--profile dev|test]`
 *   up     provision and start Temporal + OpenSearch in the foreground; Ctrl-C stops them.
 *   check  start nothing; report whether each server answers (exit 1 if one does not).
 */
import { parseArgs } from 'node:util';
import { isPortOpen } from './stack/process.js';
import { ensureStack, PROFILES, StackError, type StackProfile } from './stack/index.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'string', default: 'dev' } },
});
const command = positionals[0] ?? 'up';
const profileName = values.profile as StackProfile['name'];
if (!(profileName in PROFILES)) {
  console.error(`Unknown profile "${profileName}"; use dev or test.`);
  process.exit(2);
}

if (command === 'check') {
  const profile = PROFILES[profileName];
  const temporal = await isPortOpen(profile.temporalPort);
  const opensearch = await isPortOpen(profile.opensearchHttpPort);
  console.log(`Temporal   127.0.0.1:${profile.temporalPort}  ${temporal ? 'up' : 'down'}`);
  console.log(`OpenSearch 127.0.0.1:${profile.opensearchHttpPort}  ${opensearch ? 'up' : 'down'}`);
  process.exit(temporal && opensearch ? 0 : 1);
} else if (command === 'up') {
  try {
    const stack = await ensureStack(profileName);
    console.log(
      `Stack ready. Temporal ${stack.temporal.address}, UI ${stack.temporal.uiUrl ?? '-'}, OpenSearch ${stack.opensearch.url}. Ctrl-C stops.`,
    );
    const shutdown = () => void stack.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (err) {
    console.error(err instanceof StackError ? `stack: ${err.message}` : err);
    process.exit(1);
  }
} else {
  console.error(`Unknown command "${command}"; use up or check.`);
  process.exit(2);
}
