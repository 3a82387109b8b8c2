import type { RouteContract } from './schemas.js';

/**
 * Endpoints chat and mail systems call on a person's behalf. They carry no bearer token: each
 * proves itself its own way (Slack's request signature), and the person is looked up from it.
 */
export const INTEGRATION_ROUTES = {
  slackInteractions: {
    method: 'post',
    path: '/v1/integrations/slack/interactions',
    summary: "Slack's interactivity requests (button clicks, modal submissions), verified by Slack's v0 signature",
    tag: 'integrations',
    access: 'integration',
    responses: {
      200: 'answered as Slack expects (empty, or a modal response_action); refusals are explained ephemerally',
      400: 'not a Slack interaction',
      401: 'missing, wrong, stale or replayed Slack signature',
      404: 'Slack is not configured on this gateway',
    },
  },
  slackCommands: {
    method: 'post',
    path: '/v1/integrations/slack/commands',
    summary: "Slack's `/interlock` slash command (status, opt-out, kill-switch), verified by Slack's v0 signature",
    tag: 'integrations',
    access: 'integration',
    responses: {
      200: 'an ephemeral answer for the member (the outcome, or why it was refused)',
      401: 'missing, wrong, stale or replayed Slack signature',
      404: 'Slack is not configured on this gateway',
    },
  },
  emailDecisionPage: {
    method: 'get',
    path: '/v1/integrations/email/decisions/:token',
    summary:
      'The page an emailed link opens: the request, its state, and a form (reason required). GET and HEAD never spend the link',
    tag: 'integrations',
    access: 'integration',
    params: { token: 'the single-use token from the mail (only its SHA-256 is stored)' },
    responses: {
      200: 'an HTML page: the request with a form, or who decided it and why',
      404: 'an unknown link, or email is not configured on this gateway',
      410: 'the link was used, or expired with its request',
      429: 'the link was opened too often',
    },
  },
  emailDecide: {
    method: 'post',
    path: '/v1/integrations/email/decisions/:token',
    summary: "Decide from the emailed link's page (form: decision, reason, adjusted inputs); spends the link",
    tag: 'integrations',
    access: 'integration',
    params: { token: 'the single-use token from the mail' },
    responses: {
      200: 'an HTML page: decision recorded',
      400: 'a missing reason, a bad decision or an input out of bounds (the link stays usable)',
      401: 'the tier requires signing in (EMAIL_SIGNIN_TIERS) as the person the link was sent to (browser session or bearer)',
      403: "the workflow's refusal (wrong tier, own request), the person is no longer a principal, or a session's CSRF token is missing or wrong",
      404: 'an unknown link, or email is not configured on this gateway',
      409: 'the request is already decided',
      410: 'the link was used, or expired with its request',
      429: 'the link was used too often',
    },
  },
} as const satisfies Record<string, RouteContract>;
