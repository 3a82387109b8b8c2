import { Command, CommanderError } from 'commander';
import { registerAnalytics } from './analytics.js';
import { registerAudit } from './audit.js';
import { registerDecisions } from './decisions.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './errors.js';
import { registerGuardrails } from './guardrails.js';
import { registerIncidents } from './incidents.js';
import { registerInterventions } from './interventions.js';
import { registerLogin } from './login.js';
import { registerReview } from './review.js';
import { registerSimulate } from './simulate.js';
import { registerValidate } from './validate.js';

export function buildProgram(): Command {
  const program = new Command('interlock')
    .description("Interlock's command line for engineers, on the HTTP API only")
    .option(
      '--url <url>',
      'the gateway (default: INTERLOCK_URL, then the URL last logged in to, then http://127.0.0.1:8080)',
    )
    // Set before the subcommands are added: they inherit it, so every usage error reaches run().
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Authentication: INTERLOCK_TOKEN, or the token stored by \`interlock login --token <token>\`.
Read commands take --json: the API's JSON on stdout and nothing else; messages go to stderr.

${EXIT_CODES_HELP}`,
    );
  registerLogin(program);
  registerIncidents(program);
  registerDecisions(program);
  registerInterventions(program);
  registerGuardrails(program);
  registerAudit(program);
  registerReview(program);
  registerAnalytics(program);
  registerValidate(program);
  registerSimulate(program);
  return program;
}

/** Runs one command and returns its exit code; never throws, never prints a stack trace. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; anything else commander refuses is usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.server;
  }
}
