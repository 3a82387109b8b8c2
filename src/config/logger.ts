import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at the top level and up to three levels down (an
 * error's `config.headers`, a request's `req.headers`, an activity's `params.headers`). Matched
 * as written and in lower case; values of action secrets are scrubbed before they are logged at
 * all (src/activities/secrets.ts), this is the net for credentials passed around by key.
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-interlock-signature',
  'x-pagerduty-signature',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'idToken',
  'apiKey',
  'api_key',
  'password',
  'passwd',
  'secret',
  'clientSecret',
  'client_secret',
  'privateKey',
  'credentials',
];
const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`);
export const REDACT_PATHS = ['', '*', '*.*', '*.*.*'].flatMap((prefix) =>
  SECRET_KEYS.map((k) => (prefix ? `${prefix}${key(k)}` : key(k).replace(/^\./, ''))),
);

/** The worker's and the gateway's logger: JSON lines, secrets censored by key. */
export function createLogger(options: { name: string; level: string }, destination?: DestinationStream): Logger {
  return pino({ ...options, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } }, destination);
}
