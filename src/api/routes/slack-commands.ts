import express, { type Express } from 'express';
import type { Logger } from 'pino';
import * as g from '../../contracts/guardrails.js';
import * as msg from '../../contracts/incident-response.js';
import type { Role } from '../../domain/actor/actor.js';
import { INCIDENT_ID_PATTERN } from '../../domain/incident/incident-id.js';
import type { ResponseStatus } from '../../domain/response/status.js';
import { actorFor, type Principal, type PrincipalDirectory } from '../auth/principals.js';
import { ROUTES } from '../contract.js';
import type { RouteContract } from '../contract/schemas.js';
import { HttpError } from '../errors.js';
import type { guardrailInputs } from '../guardrail-inputs.js';
import { withDeadline } from '../mount.js';
import type { slackRequestCheck } from '../slack/signature.js';
import { slackPeople } from '../slack/people.js';
import type { SlackGatewayOptions } from './slack-interactions.js';
import type { WorkflowInputs } from '../workflow-inputs.js';

const USAGE = [
  '`/interlock status <incident>`: where a response stands, and what it waits for',
  '`/interlock opt-out <incident> <reason>`: stop the automation of that response now',
  '`/interlock kill-switch <reason>`: stop every mitigation everywhere until an admin releases it',
].join('\n');

/**
 * The `/interlock` slash command: look, and stop. It only offers what stops automation (an
 * opt-out, the kill switch) and a status; letting automation go ahead stays with the request's
 * buttons and the other channels. The member must map to a principal whose roles the same API
 * route admits, and every change goes through the same signed update, so it is audited alike.
 */
export function slackCommandRoutes(
  app: Express,
  deps: {
    slack: SlackGatewayOptions;
    principals: PrincipalDirectory;
    inputs: WorkflowInputs;
    guardrails: ReturnType<typeof guardrailInputs>;
    check: ReturnType<typeof slackRequestCheck>;
    log: Logger;
  },
) {
  const principalFor = slackPeople(deps.principals, deps.slack.client);
  const route = ROUTES.slackCommands;
  app[route.method](
    route.path,
    express.raw({ type: 'application/x-www-form-urlencoded', limit: '64kb' }),
    async (req, res, next) => {
      try {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const problem = deps.check(
          { timestamp: req.header('x-slack-request-timestamp'), signature: req.header('x-slack-signature') },
          raw,
        );
        if (problem) throw new HttpError(401, 'unauthenticated', `Slack signature check failed: ${problem}`);
        const form = new URLSearchParams(raw.toString('utf8'));
        const member = form.get('user_id') ?? '';
        const [verb = 'help', ...rest] = (form.get('text') ?? '').trim().split(/\s+/).filter(Boolean);
        const principal = member ? await principalFor(member) : undefined;
        const say = (text: string) => res.json({ response_type: 'ephemeral', text });
        if (verb === 'help') return say(USAGE);
        if (!principal)
          return say(`Your Slack account (${member}) is not linked to an Interlock person: ask an admin to add it.`);
        // Slack waits 3 s; a slow Temporal answers later through the command's response_url.
        const answer = run(verb, rest, principal);
        const first = await Promise.race([
          answer,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_500)),
        ]);
        if (first !== undefined) return say(first);
        say('Working on it…');
        const late = await answer;
        const url = form.get('response_url');
        if (url)
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ response_type: 'ephemeral', text: late }),
            signal: AbortSignal.timeout(5_000),
          }).catch((err: unknown) => deps.log.warn({ err }, 'could not answer a Slack command'));
      } catch (err) {
        next(err);
      }
    },
  );

  async function run(verb: string, args: string[], principal: Principal): Promise<string> {
    const actor = actorFor(principal, 'slack');
    try {
      if (verb === 'status') {
        const id = incident(args[0]);
        if (!allowed(ROUTES.getIncident, principal.roles)) return refused('see responses');
        const s: ResponseStatus = await withDeadline(deps.inputs.handleFor(id).query(msg.statusQuery));
        const waiting = s.approvals.filter((a) => a.state === 'pending');
        return [
          `*${s.title}* (${s.service}/${s.environment}, ${s.severity}): ${s.phase}`,
          ...waiting.map((a) => `waiting for ${a.kind} ${a.id} from ${a.tier} until ${a.expiresAt}`),
          ...(s.blockedBy?.length ? [`blocked by: ${s.blockedBy.join('; ')}`] : []),
        ].join('\n');
      }
      if (verb === 'opt-out') {
        const id = incident(args[0]);
        const reason = args.slice(1).join(' ');
        if (reason.length < 3) return 'A reason is required: `/interlock opt-out <incident> <reason>`';
        if (!allowed(ROUTES.optOut, principal.roles)) {
          deps.inputs.reportRefusal(
            deps.inputs.handleFor(id),
            actor,
            'slack /interlock opt-out',
            roleProblem(principal),
          );
          return refused('opt out');
        }
        const optOut = await deps.inputs.update(deps.inputs.handleFor(id), msg.optOutUpdate, {
          reason,
          scope: { kind: 'response' },
          mode: 'halt-now',
          actor,
        });
        return `Opted out of ${id} (${optOut.mode}): nothing more runs automatically.`;
      }
      if (verb === 'kill-switch') {
        const reason = args.join(' ');
        if (reason.length < 3) return 'A reason is required: `/interlock kill-switch <reason>`';
        if (!allowed(ROUTES.engageKillSwitch, principal.roles)) {
          recordGuardrailRefusal(principal, 'engageKillSwitch', roleProblem(principal));
          return refused('engage the kill switch');
        }
        await deps.guardrails.update(g.engageKillSwitchUpdate, { reason, actor });
        return 'Kill switch engaged: no mitigation starts anywhere until an admin releases it.';
      }
      return `I do not know "${verb}".\n${USAGE}`;
    } catch (err) {
      return `Refused: ${err instanceof HttpError ? err.message : ((err as { cause?: Error }).cause?.message ?? (err as Error).message)}`;
    }
  }

  function recordGuardrailRefusal(principal: Principal, attempted: string, why: string) {
    void deps.guardrails
      .signalRefusal({ id: principal.id, name: principal.name, channel: 'slack' }, `${attempted}: ${why}`)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not record a refused guardrail change'));
  }
}

function incident(id: string | undefined): string {
  if (!id || !INCIDENT_ID_PATTERN.test(id))
    throw new HttpError(
      400,
      'invalid_request',
      `"${id ?? ''}" is not an incident id (they look like am-<24 hex digits>)`,
    );
  return id;
}

function allowed(route: RouteContract, roles: Role[]): boolean {
  return Array.isArray(route.access) && route.access.some((r) => roles.includes(r));
}

function roleProblem(p: Principal): string {
  return `the role(s) ${p.roles.join(', ') || 'none'} may not do this`;
}

function refused(what: string): string {
  return `Refused: your roles do not allow you to ${what} (the attempt is recorded).`;
}
