import express, { type Express } from 'express';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import * as msg from '../../contracts/incident-response.js';
import { INCIDENT_ID_PATTERN } from '../../domain/incident/incident-id.js';
import type { InputSpec } from '../../domain/playbook/playbook.js';
import type { ApprovalRequest, ResponseStatus } from '../../domain/response/status.js';
import { actorFor, type Principal, type PrincipalDirectory } from '../auth/principals.js';
import { ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import { ACTION, type ButtonValue } from '../../clients/notify/slack/blocks.js';
import {
  DECIDE_CALLBACK,
  decisionModal,
  readSubmission,
  type ModalMetadata,
  type SlackChoice,
} from '../slack/modal.js';
import { slackPeople } from '../slack/people.js';
import type { slackRequestCheck } from '../slack/signature.js';
import type { WorkflowInputs } from '../workflow-inputs.js';
import { withDeadline } from '../mount.js';

export interface SlackGatewayOptions {
  signingSecret: string;
  /** Opens modals, answers ephemerally, looks up members' emails. */
  client: WebClient;
  toleranceSeconds?: number;
}

/** Slack waits 3 s for an answer; a decision still running then is answered later, ephemerally. */
const ANSWER_WITHIN_MS = 2_500;
const CHOICE: Record<string, SlackChoice> = {
  [ACTION.approve]: 'approve',
  [ACTION.reject]: 'reject',
  [ACTION.optOut]: 'opt-out',
  [ACTION.adjust]: 'approve',
};

/**
 * Slack's interactivity endpoint. Slack proves itself with its signature (no bearer token);
 * the person is the Slack member mapped to a principal, never a name in the payload; the
 * decision goes through the same signed workflow update as the API, so tier, quorum,
 * self-approval, expiry and guardrails are enforced by the workflow, never here.
 */
export function slackInteractionRoutes(
  app: Express,
  deps: {
    slack: SlackGatewayOptions;
    principals: PrincipalDirectory;
    inputs: WorkflowInputs;
    log: Logger;
    /** Signature and replay check, shared by every Slack endpoint. */
    check: ReturnType<typeof slackRequestCheck>;
  },
) {
  const { slack, inputs, log } = deps;
  const principalFor = slackPeople(deps.principals, slack.client);
  const route = ROUTES.slackInteractions;

  app[route.method](
    route.path,
    express.raw({ type: 'application/x-www-form-urlencoded', limit: '1mb' }),
    async (req, res, next) => {
      try {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const payload = parsePayload(raw);
        const problem = deps.check(
          { timestamp: req.header('x-slack-request-timestamp'), signature: req.header('x-slack-signature') },
          raw,
        );
        if (problem) {
          // Audited in the response it names, if any: the payload is untrusted, so it is
          // recorded as an unverified Slack request, never as the member it claims.
          recordRefusal(payload, `Slack request refused: ${problem}`);
          throw new HttpError(401, 'unauthenticated', `Slack signature check failed: ${problem}`);
        }
        if (!payload) throw new HttpError(400, 'invalid_request', 'expected a Slack interaction (payload=<json>)');
        if (payload.type === 'block_actions') await onClick(payload, res);
        else if (payload.type === 'view_submission' && payload.view?.callback_id === DECIDE_CALLBACK)
          await onSubmit(payload, res);
        else res.status(200).end(); // other interactions (view closed, …) need nothing
      } catch (err) {
        next(err);
      }
    },
  );

  /** A button: check who and whether the request is still open, then ask for the reason. */
  async function onClick(p: SlackPayload, res: express.Response) {
    const action = p.actions?.[0];
    const choice = action && CHOICE[action.action_id];
    const value = parseButton(action?.value);
    if (!choice || !value) return void res.status(200).end();
    const principal = await principalFor(p.user.id);
    if (!principal) {
      recordRefusal(p, `Slack member ${p.user.id} is not linked to an Interlock person`, value.incidentId);
      await ephemeral(
        p,
        `Your Slack account is not linked to an Interlock person, so you cannot act on this request. Ask an Interlock admin to add your Slack member id (${p.user.id}) or email to the principals file.`,
      );
      return void res.status(200).end();
    }
    const approval = await currentApproval(value);
    if (!approval) {
      await ephemeral(p, `There is no request ${value.approvalId} in incident ${value.incidentId} any more.`);
      return void res.status(200).end();
    }
    if (approval.state !== 'pending' && choice !== 'opt-out') {
      const last = approval.decisions.at(-1);
      await ephemeral(
        p,
        `This request is already ${approval.state}${last ? ` (by ${last.actor.name}: ${last.reason})` : ''}; nothing was done.`,
      );
      return void res.status(200).end();
    }
    const meta: ModalMetadata = { ...value, choice, channel: p.channel?.id ?? p.container?.channel_id };
    await slack.client.views.open({
      trigger_id: p.trigger_id!,
      view: decisionModal(meta, approval, action!.action_id === ACTION.adjust),
    });
    res.status(200).end();
  }

  /** The modal's submit: decide (or opt out) through the workflow as the mapped person. */
  async function onSubmit(p: SlackPayload, res: express.Response) {
    const meta = parseMetadata(p.view!.private_metadata);
    if (!meta) return void res.status(200).json({ response_action: 'clear' });
    const principal = await principalFor(p.user.id);
    if (!principal) {
      recordRefusal(p, `Slack member ${p.user.id} is not linked to an Interlock person`, meta.incidentId);
      return void res.json(errors('Your Slack account is not linked to an Interlock person.'));
    }
    const values = p.view!.state?.values ?? {};
    // Only an Adjust modal needs the request's input specs (one query); a plain decision goes straight on.
    const adjusting = Object.keys(values).some((block) => block.startsWith('input:'));
    const approval = adjusting ? await currentApproval(meta) : undefined;
    const adjustable = (approval?.context.adjustable ?? {}) as Record<string, InputSpec>;
    const form = readSubmission(values, adjustable);
    if (form.reason.length < 3)
      return void res.json(errors('A reason is required (it is recorded in the audit trail).'));
    // Only values that differ are an adjustment: resubmitting the current ones must not void earlier approvals.
    const changed = Object.entries(form.inputs ?? {}).filter(([k, v]) => approval?.inputs[k] !== v);
    const decided = decide(principal, meta, form.reason, changed.length ? Object.fromEntries(changed) : undefined);
    const outcome = await Promise.race([
      decided.then(
        () => ({ ok: true as const }),
        (err: unknown) => ({ ok: false as const, message: refusalText(err) }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ANSWER_WITHIN_MS).unref()),
    ]);
    if (!outcome) {
      // Slack would show an error after 3 s: close the modal, and say what happened when it is known.
      res.json({ response_action: 'clear' });
      const late = await decided.then(
        () => 'Done: your decision was recorded.',
        (err: unknown) => `Refused: ${refusalText(err)}`,
      );
      return void (await ephemeralTo(meta.channel, p.user.id, late));
    }
    if (outcome.ok) return void res.json({ response_action: 'clear' });
    // Shown in the modal, to this person only; and left in the channel for them, ephemerally.
    res.json(errors(`Refused: ${outcome.message}`));
    await ephemeralTo(
      meta.channel,
      p.user.id,
      `Your ${meta.choice} of ${meta.approvalId} was refused: ${outcome.message}`,
    );
  }

  function decide(principal: Principal, meta: ModalMetadata, reason: string, adjusted?: Record<string, unknown>) {
    const handle = inputs.handleFor(meta.incidentId);
    const actor = actorFor(principal, 'slack');
    if (meta.choice === 'opt-out')
      return inputs.update(handle, msg.optOutUpdate, {
        reason,
        scope: { kind: 'step', stepId: meta.stepId },
        mode: 'halt-now',
        actor,
      });
    return inputs.update(handle, msg.decideUpdate, {
      approvalId: meta.approvalId,
      decision: meta.choice,
      reason,
      ...(adjusted ? { inputs: adjusted } : {}),
      actor,
    });
  }

  async function currentApproval(v: { incidentId: string; approvalId: string }): Promise<ApprovalRequest | undefined> {
    if (!INCIDENT_ID_PATTERN.test(v.incidentId)) return undefined;
    const status: ResponseStatus | undefined = await withDeadline(
      inputs.handleFor(v.incidentId).query(msg.statusQuery),
      2_000,
    ).catch(() => undefined);
    return status?.approvals.find((a) => a.id === v.approvalId);
  }

  function recordRefusal(p: SlackPayload | undefined, reason: string, incidentId?: string) {
    const id =
      incidentId ??
      parseButton(p?.actions?.[0]?.value)?.incidentId ??
      parseMetadata(p?.view?.private_metadata)?.incidentId;
    if (!id || !INCIDENT_ID_PATTERN.test(id)) return log.warn({ reason }, 'Slack request refused');
    const member = typeof p?.user?.id === 'string' ? p.user.id.slice(0, 50) : 'unknown';
    inputs.reportRefusal(
      inputs.handleFor(id),
      {
        id: `slack:${member}`,
        name: `Slack member ${member} (unverified)`,
        channel: 'slack',
        roles: [],
        groups: [],
        teams: [],
      },
      'slack interaction',
      reason,
    );
  }

  async function ephemeral(p: SlackPayload, text: string) {
    if (p.response_url)
      await fetch(p.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(2_000),
      }).catch((err: unknown) => log.warn({ err }, 'could not answer a Slack click'));
    else await ephemeralTo(p.channel?.id, p.user.id, text);
  }

  async function ephemeralTo(channel: string | undefined, user: string, text: string) {
    if (!channel) return;
    await slack.client.chat
      .postEphemeral({ channel, user, text })
      .catch((err: unknown) => log.warn({ err }, 'could not answer a Slack submission'));
  }
}

interface SlackPayload {
  type: string;
  user: { id: string };
  trigger_id?: string;
  response_url?: string;
  channel?: { id: string };
  container?: { channel_id?: string };
  actions?: Array<{ action_id: string; value?: string }>;
  view?: { callback_id?: string; private_metadata?: string; state?: { values: never } };
}

function parsePayload(raw: Buffer): SlackPayload | undefined {
  try {
    const payload = JSON.parse(new URLSearchParams(raw.toString('utf8')).get('payload') ?? '') as SlackPayload;
    return typeof payload?.type === 'string' && typeof payload.user?.id === 'string' ? payload : undefined;
  } catch {
    return undefined;
  }
}

function parseButton(value: string | undefined): ButtonValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as ButtonValue;
    return typeof v.incidentId === 'string' && typeof v.approvalId === 'string' && typeof v.stepId === 'string'
      ? v
      : undefined;
  } catch {
    return undefined;
  }
}

function parseMetadata(text: string | undefined): ModalMetadata | undefined {
  const v = parseButton(text) as ModalMetadata | undefined;
  return v && ['approve', 'reject', 'opt-out'].includes(v.choice) ? v : undefined;
}

function errors(message: string) {
  return { response_action: 'errors', errors: { reason: message.slice(0, 2000) } };
}

function refusalText(err: unknown): string {
  if (err instanceof HttpError) return err.message;
  const e = err as { cause?: { message?: string }; message?: string };
  return e.cause?.message ?? e.message ?? String(err);
}
