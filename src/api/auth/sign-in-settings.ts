import fs from 'node:fs';
import { ConfigError } from '../../config/env.js';
import { settingFileReader } from '../../clients/setting-files.js';
import type { BrowserSignInConfig } from './browser-session.js';
import type { ClaimNames } from './jwt.js';
import { MIN_SESSION_SECRET_BYTES } from './sealed-cookie.js';

export interface SignInEnv {
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  OIDC_CLIENT_SECRET_FILE?: string;
  OIDC_SIGNIN_SCOPES?: string;
  SESSION_SECRET?: string;
  SESSION_SECRET_FILE?: string;
  PUBLIC_GATEWAY_URL?: string;
}

/**
 * Browser sign-in's settings, secrets from the environment or from files; undefined when it is
 * off. Setting any of its own variables asks for it, so a partial setup is refused naming what is
 * missing (never a value) instead of silently leaving sign-in tiers undecidable by browser.
 */
export function signInSettings(
  env: SignInEnv,
  claims: ClaimNames,
  readFile: (file: string) => Buffer = fs.readFileSync,
): BrowserSignInConfig | undefined {
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  const secret = (name: 'OIDC_CLIENT_SECRET' | 'SESSION_SECRET') => {
    const fileVar = `${name}_FILE` as const;
    if (env[name] && env[fileVar]) problems.push(`${fileVar}: set either ${name} or ${fileVar}, not both`);
    const value = env[name] ?? read(fileVar, env[fileVar])?.toString('utf8').trim();
    if (env[fileVar] && value === '') problems.push(`${fileVar}: ${env[fileVar]} is empty`);
    return value || undefined;
  };
  const clientSecret = secret('OIDC_CLIENT_SECRET');
  const sessionSecret = secret('SESSION_SECRET');
  // A session secret alone is not a request for OIDC: the console's token sign-in uses sessions too.
  const asked = env.OIDC_CLIENT_ID !== undefined || clientSecret !== undefined;
  if (!asked && !problems.length) return undefined;
  const need = (name: keyof SignInEnv, value: string | undefined) => {
    if (!value) problems.push(`${name}: required for browser sign-in (OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is set)`);
  };
  need('OIDC_ISSUER', env.OIDC_ISSUER);
  need('OIDC_CLIENT_ID', env.OIDC_CLIENT_ID);
  if (!sessionSecret && !env.SESSION_SECRET_FILE) need('SESSION_SECRET', sessionSecret);
  need('PUBLIC_GATEWAY_URL', env.PUBLIC_GATEWAY_URL);
  if (sessionSecret && Buffer.byteLength(sessionSecret, 'utf8') < MIN_SESSION_SECRET_BYTES)
    problems.push(
      `${env.SESSION_SECRET_FILE ? 'SESSION_SECRET_FILE' : 'SESSION_SECRET'}: must be at least ${MIN_SESSION_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`,
    );
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return {
    issuer: env.OIDC_ISSUER!,
    clientId: env.OIDC_CLIENT_ID!,
    clientSecret,
    sessionSecret: sessionSecret!,
    publicGatewayUrl: env.PUBLIC_GATEWAY_URL!,
    claims,
    scope: env.OIDC_SIGNIN_SCOPES ?? 'openid profile email',
  };
}

/**
 * The session secret alone (SESSION_SECRET or _FILE), for sessions started by the console's
 * token sign-in when OIDC is not configured; undefined when unset.
 */
export function sessionSecretSetting(env: SignInEnv, readFile: (file: string) => Buffer = fs.readFileSync) {
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  if (env.SESSION_SECRET && env.SESSION_SECRET_FILE)
    problems.push('SESSION_SECRET_FILE: set either SESSION_SECRET or SESSION_SECRET_FILE, not both');
  const value = env.SESSION_SECRET ?? read('SESSION_SECRET_FILE', env.SESSION_SECRET_FILE)?.toString('utf8').trim();
  if (value !== undefined && Buffer.byteLength(value, 'utf8') < MIN_SESSION_SECRET_BYTES)
    problems.push(`SESSION_SECRET: must be at least ${MIN_SESSION_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`);
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return value || undefined;
}
