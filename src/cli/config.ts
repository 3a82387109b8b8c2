import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Tokens are kept per gateway URL, so logging in to staging does not replace production's token. */
interface Credentials {
  defaultUrl?: string;
  servers: Record<string, { token: string; savedAt: string }>;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'interlock', 'credentials.json');
}

function readCredentials(file: string): Credentials {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { servers: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    return { defaultUrl: parsed.defaultUrl, servers: parsed.servers ?? {} };
  } catch {
    throw new CliError(EXIT.refused, `${file} is not valid JSON: fix or delete it, then run interlock login again`);
  }
}

/** Written to a temporary file created 0600 and renamed, so the token is never readable by others, even briefly. */
export function storeToken(url: string, token: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  const creds = readCredentials(file);
  creds.servers[url] = { token, savedAt: new Date().toISOString() };
  creds.defaultUrl = url;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export interface Target {
  url: string;
  token?: string;
}

/** --url, then INTERLOCK_URL, then the URL last logged in to, then the local default. */
export function resolveTarget(urlOption: string | undefined, env: NodeJS.ProcessEnv = process.env): Target {
  const creds = readCredentials(credentialsFile(env));
  const url = normalizeUrl(urlOption || env.INTERLOCK_URL || creds.defaultUrl || DEFAULT_URL);
  const token = env.INTERLOCK_TOKEN || creds.servers[url]?.token;
  return { url, token };
}

export function normalizeUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError(EXIT.usage, `not a URL: ${raw}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(EXIT.usage, `the gateway URL must be http(s): ${raw}`);
  return parsed.toString().replace(/\/+$/, '');
}
