import fs from 'node:fs';
import { WebClient, LogLevel } from '@slack/web-api';
import { ConfigError } from '../../config/env.js';
import { settingFileReader } from '../setting-files.js';

export interface SlackEnv {
  SLACK_BOT_TOKEN?: string;
  SLACK_BOT_TOKEN_FILE?: string;
  SLACK_SIGNING_SECRET?: string;
  SLACK_SIGNING_SECRET_FILE?: string;
  SLACK_API_URL?: string;
}

/**
 * The Slack app's credentials, from the environment or from files (Kubernetes/Docker secrets);
 * every problem at once, naming the variable, never the value. Undefined: Slack is off.
 */
export function slackSettings(
  env: SlackEnv,
  readFile: (file: string) => Buffer = fs.readFileSync,
): { botToken?: string; signingSecret?: string; apiUrl?: string } {
  const problems: string[] = [];
  const read = settingFileReader(problems, readFile);
  const secret = (name: 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET') => {
    const inline = env[name];
    const fileVar = `${name}_FILE` as const;
    if (inline && env[fileVar]) problems.push(`${fileVar}: set either ${name} or ${fileVar}, not both`);
    const value = inline ?? read(fileVar, env[fileVar])?.toString('utf8').trim();
    if (env[fileVar] && value === '') problems.push(`${fileVar}: ${env[fileVar]} is empty`);
    return value || undefined;
  };
  const botToken = secret('SLACK_BOT_TOKEN');
  const signingSecret = secret('SLACK_SIGNING_SECRET');
  if (botToken && !/^xox[bp]-/.test(botToken))
    problems.push('SLACK_BOT_TOKEN: not a Slack bot token (they start with xoxb-)');
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return { botToken, signingSecret, apiUrl: env.SLACK_API_URL };
}

/**
 * A Web API client with few, quick retries: the fan-out already retries a failed channel, and a
 * notification must not wait the library's default half hour of backoff.
 */
export function createSlackClient(token: string, apiUrl?: string): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    timeout: 5_000,
    logLevel: LogLevel.ERROR,
  });
}
