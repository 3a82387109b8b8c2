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
} as const satisfies Record<string, RouteContract>;
