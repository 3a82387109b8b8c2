/**
 * Exit codes scripts can rely on. Kept in one table because the help epilogue, the README and
 * the mapping from HTTP statuses all have to say the same thing.
 */
export const EXIT = {
  ok: 0,
  refused: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  server: 5,
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  refused or invalid input (HTTP 400/409/410/422/429, a workflow refusal, invalid configuration)
  2  usage error (unknown command or option, missing argument)
  3  not authenticated or not allowed (HTTP 401/403, no token)
  4  not found (HTTP 404: unknown incident, approval, opt-out or pause)
  5  the server or its dependencies failed, or could not be reached (HTTP 5xx, network)
  130 interrupted (Ctrl-C)`;

/** An error whose message is meant for the person at the terminal: printed without a stack trace. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** What an HTTP status means for a script, and the word the message starts with. */
export function exitForStatus(status: number): { code: number; label: string } {
  if (status === 401) return { code: EXIT.auth, label: 'not authenticated' };
  if (status === 403) return { code: EXIT.auth, label: 'not allowed' };
  if (status === 404) return { code: EXIT.notFound, label: 'not found' };
  if (status === 429) return { code: EXIT.refused, label: 'rate limited' };
  if (status >= 500) return { code: EXIT.server, label: `server error (HTTP ${status})` };
  return { code: EXIT.refused, label: 'refused' };
}
