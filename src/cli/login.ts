import type { Command } from 'commander';
import { Api } from './api.js';
import { normalizeUrl, resolveTarget, storeToken } from './config.js';
import { CliError, EXIT } from './errors.js';
import { info } from './output.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Store an API token for the gateway, after checking that the gateway accepts it')
    .requiredOption('--token <token>', 'the API token ("-" reads it from stdin, keeping it out of shell history)')
    .addHelpText(
      'after',
      `
The token is verified against the gateway, then stored in
$XDG_CONFIG_HOME/interlock/credentials.json (default ~/.config/interlock/credentials.json, mode 0600),
keyed by the gateway URL. INTERLOCK_TOKEN, when set, takes precedence over the stored token.

Browser or device sign-in (OIDC device flow) is not offered: the gateway verifies OIDC tokens but does
not publish a device-authorization endpoint for the CLI. Use an API token from the principals file
(or an OIDC access token you obtained yourself) with --token.`,
    )
    .action(async (opts: { token: string }, cmd: Command) => {
      const token = opts.token === '-' ? (await readStdin()).trim() : opts.token.trim();
      if (!token) throw new CliError(EXIT.usage, 'the token is empty');
      const url = normalizeUrl(resolveTarget(cmd.optsWithGlobals().url as string | undefined).url);
      // Any reader route proves the token belongs to a person who may use the CLI; an alert
      // source's token is refused here (403) rather than failing on the first real command.
      try {
        await new Api({ url, token }).json('GET', '/v1/guardrails');
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.auth)
          throw new CliError(EXIT.auth, `login refused, nothing stored: the gateway at ${url} says ${err.message}`);
        throw err;
      }
      const file = storeToken(url, token);
      info(`logged in to ${url}; token stored in ${file}`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
