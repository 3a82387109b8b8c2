import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { DecisionSigner } from '../auth/decision-signer.js';
import type { Request } from 'express';
import * as g from '../../contracts/guardrails.js';
import { bodies, ROUTES } from '../contract.js';
import type { Mount } from '../mount.js';
import { guardrailInputs } from '../guardrail-inputs.js';
import { idempotencyKeyOf } from '../idempotency.js';
import { parseOr400 } from '../validate.js';

/** Every guardrail lives in the one control workflow; these routes read it and send it updates. */
export function guardrailRoutes(
  mount: Mount,
  client: Client,
  workflowId: string,
  signer: DecisionSigner | undefined,
  log: Logger,
) {
  const { update, controls } = guardrailInputs(client, workflowId, signer, log);
  const actorOf = (req: Request) => req.actor!;
  const keyOf = (req: Request) => ({ idempotencyKey: idempotencyKeyOf(req) });

  mount(ROUTES.guardrails, async (_req, res) => void res.json(await controls()));
  mount(ROUTES.listPauses, async (_req, res) => void res.json({ pauses: (await controls()).pauses }));
  mount(ROUTES.listRules, async (_req, res) => void res.json({ rules: (await controls()).rules }));
  mount(ROUTES.listFreezes, async (_req, res) => void res.json({ freezes: (await controls()).freezes }));

  mount(ROUTES.engageKillSwitch, async (req, res) => {
    const body = parseOr400(bodies.killSwitch, req.body, 'kill switch');
    res.json(await update(g.engageKillSwitchUpdate, { ...body, actor: actorOf(req) }, keyOf(req)));
  });
  mount(ROUTES.releaseKillSwitch, async (req, res) => {
    const body = parseOr400(bodies.release, req.body, 'release');
    res.json(await update(g.releaseKillSwitchUpdate, { ...body, actor: actorOf(req) }, keyOf(req)));
  });
  mount(ROUTES.addPause, async (req, res) => {
    const body = parseOr400(bodies.pause, req.body, 'pause');
    res.status(201).json(await update(g.addPauseUpdate, { ...body, actor: actorOf(req) }, keyOf(req)));
  });
  mount(ROUTES.addRule, async (req, res) => {
    const body = parseOr400(bodies.rule, req.body, 'rule');
    res.status(201).json(await update(g.addRuleUpdate, { ...body, actor: actorOf(req) }, keyOf(req)));
  });
  mount(ROUTES.addFreeze, async (req, res) => {
    const body = parseOr400(bodies.freeze, req.body, 'freeze');
    res.status(201).json(await update(g.addFreezeUpdate, { ...body, actor: actorOf(req) }, keyOf(req)));
  });
  for (const [route, kind] of [
    [ROUTES.removePause, 'pause'],
    [ROUTES.removeRule, 'rule'],
    [ROUTES.removeFreeze, 'freeze'],
  ] as const) {
    mount(route, async (req, res) => {
      const body = parseOr400(bodies.remove, req.body, 'removal');
      res.json(
        await update(
          g.removeControlUpdate,
          { ...body, id: String(req.params.controlId), kind, actor: actorOf(req) },
          keyOf(req),
        ),
      );
    });
  }
}
