import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Actor } from '../../domain/actor/actor.js';
import type { DecisionSigner } from '../auth/decision-signer.js';
import type { UpdateDefinition } from '@temporalio/common';
import type { Request } from 'express';
import * as g from '../../contracts/guardrails.js';
import { bodies, ROUTES } from '../contract.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

/** Every guardrail lives in the one control workflow; these routes read it and send it updates. */
export function guardrailRoutes(
  mount: Mount,
  client: Client,
  workflowId: string,
  signer: DecisionSigner | undefined,
  log: Logger,
) {
  const handle = () => client.workflow.getHandle(workflowId);
  const actorOf = (req: Request) => req.actor!;
  /** Signed like every decision (the control workflow takes the person from the signature). */
  const update = async <A extends { actor: Pick<Actor, 'id' | 'name' | 'channel'> }>(
    def: UpdateDefinition<unknown, [A]>,
    arg: A,
  ) => {
    const signed = signer ? { ...arg, attestation: signer.attest(arg.actor as Actor, workflowId, def.name, arg) } : arg;
    try {
      return await withDeadline(handle().executeUpdate(def, { args: [signed] }));
    } catch (err) {
      // A refused change is recorded in the control workflow's trail, as a 403 at the door is.
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type !== 'Unverified'
      ) {
        const { id, name, channel } = arg.actor;
        void handle()
          .signal(g.refusedChangeSignal, {
            actor: { id, name, channel },
            attempted: `${def.name}: ${err.cause.message}`,
          })
          .catch((e: unknown) => log.warn({ err: e }, 'could not record a refused guardrail change'));
      }
      throw err;
    }
  };
  const controls = () => withDeadline(handle().query(g.controlsQuery));

  mount(ROUTES.guardrails, async (_req, res) => void res.json(await controls()));
  mount(ROUTES.listPauses, async (_req, res) => void res.json({ pauses: (await controls()).pauses }));
  mount(ROUTES.listRules, async (_req, res) => void res.json({ rules: (await controls()).rules }));
  mount(ROUTES.listFreezes, async (_req, res) => void res.json({ freezes: (await controls()).freezes }));

  mount(ROUTES.engageKillSwitch, async (req, res) => {
    const body = parseOr400(bodies.killSwitch, req.body, 'kill switch');
    res.json(await update(g.engageKillSwitchUpdate, { ...body, actor: actorOf(req) }));
  });
  mount(ROUTES.releaseKillSwitch, async (req, res) => {
    const body = parseOr400(bodies.release, req.body, 'release');
    res.json(await update(g.releaseKillSwitchUpdate, { ...body, actor: actorOf(req) }));
  });
  mount(ROUTES.addPause, async (req, res) => {
    const body = parseOr400(bodies.pause, req.body, 'pause');
    res.status(201).json(await update(g.addPauseUpdate, { ...body, actor: actorOf(req) }));
  });
  mount(ROUTES.addRule, async (req, res) => {
    const body = parseOr400(bodies.rule, req.body, 'rule');
    res.status(201).json(await update(g.addRuleUpdate, { ...body, actor: actorOf(req) }));
  });
  mount(ROUTES.addFreeze, async (req, res) => {
    const body = parseOr400(bodies.freeze, req.body, 'freeze');
    res.status(201).json(await update(g.addFreezeUpdate, { ...body, actor: actorOf(req) }));
  });
  for (const [route, kind] of [
    [ROUTES.removePause, 'pause'],
    [ROUTES.removeRule, 'rule'],
    [ROUTES.removeFreeze, 'freeze'],
  ] as const) {
    mount(route, async (req, res) => {
      const body = parseOr400(bodies.remove, req.body, 'removal');
      res.json(
        await update(g.removeControlUpdate, { ...body, id: String(req.params.controlId), kind, actor: actorOf(req) }),
      );
    });
  }
}
