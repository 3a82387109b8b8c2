/**
 * `npm run bench -- <suite> [<suite> ...] [--iterations N] [--profile test|cluster-test]`
 * Starts (or reuses) the test stack exactly as `npm test` does, runs the suites, and prints each
 * figure as one JSON line. Progress goes to stderr so stdout stays machine-readable.
 */
import { parseArgs } from 'node:util';
import { ensureStack, PROFILES, StackError, type StackProfile } from '../scripts/stack/index.js';
import type { BenchSuite } from './context.js';
import { analyticsSuite } from './suites/analytics.js';
import { auditSuite } from './suites/audit.js';
import { channelsSuite } from './suites/channels.js';
import { consoleSuite } from './suites/console.js';
import { controlSuite } from './suites/control.js';
import { guardrailsSuite } from './suites/guardrails.js';
import { intakeSuite } from './suites/intake.js';
import { longLivedSuite } from './suites/long-lived.js';
import { responseSuite } from './suites/response.js';
import { scaleSuite } from './suites/scale.js';

const SUITES: Record<string, BenchSuite> = {
  response: responseSuite,
  control: controlSuite,
  intake: intakeSuite,
  audit: auditSuite,
  analytics: analyticsSuite,
  guardrails: guardrailsSuite,
  channels: channelsSuite,
  console: consoleSuite,
  scale: scaleSuite,
  'long-lived': longLivedSuite,
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { iterations: { type: 'string' }, profile: { type: 'string', default: 'test' } },
});
const unknown = positionals.filter((s) => !(s in SUITES));
if (positionals.length === 0 || unknown.length > 0) {
  if (unknown.length) console.error(`Unknown suite(s): ${unknown.join(', ')}`);
  console.error(
    `Usage: npm run bench -- <suite> [--iterations N]\nSuites:\n${Object.entries(SUITES)
      .map(([n, s]) => `  ${n.padEnd(12)} ${s.description}`)
      .join('\n')}`,
  );
  process.exit(2);
}
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 1)) {
  console.error('--iterations must be a positive whole number');
  process.exit(2);
}

const profile = values.profile as StackProfile['name'];
if (!(profile in PROFILES)) {
  console.error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
const stack = await ensureStack(profile, (msg) => console.error(`[stack] ${msg}`)).catch((err: unknown) => {
  console.error(err instanceof StackError ? `bench: ${err.message}` : err);
  process.exit(1);
});
let failed = false;
try {
  for (const name of positionals) {
    console.error(`[bench] ${name}: ${SUITES[name]!.description}`);
    await SUITES[name]!.run({
      stack: {
        temporalAddress: stack.temporal.address,
        opensearchUrl: stack.opensearch.url,
        auditIndexPrefix: 'audit-events',
      },
      iterations,
    });
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
