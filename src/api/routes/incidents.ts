import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { DecisionSigner } from '../auth/decision-signer.js';
import type { Request } from 'express';
import * as msg from '../../contracts/incident-response.js';
import { bodies, queries, ROUTES } from '../contract.js';
import { idempotencyKeyOf } from '../idempotency.js';
import { workflowInputs } from '../workflow-inputs.js';
import { listIncidents } from '../incident-list.js';
import type { GatewayMetrics } from '../metrics.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

export function incidentRoutes(
  mount: Mount,
  client: Client,
  metrics: GatewayMetrics,
  signer: DecisionSigner | undefined,
  log: Logger,
) {
  const { handleFor, update, stop } = workflowInputs(client, signer, log);
  const actorOf = (req: Request) => req.actor!;
  const keyOf = (req: Request) => ({ idempotencyKey: idempotencyKeyOf(req) });

  /** Lists responses through Temporal visibility on the custom search attributes. */
  mount(ROUTES.listIncidents, async (req, res) => {
    const q = parseOr400(queries.list, req.query, 'list query');
    res.json(await listIncidents(client, q));
  });

  mount(ROUTES.getIncident, async (req, res) => {
    const q = parseOr400(queries.status, req.query, 'status query');
    // No arguments for a plain read: the query answers with its default page, as it always did.
    const page =
      q.timelineLimit !== undefined || q.timelineBefore !== undefined
        ? [{ limit: q.timelineLimit, before: q.timelineBefore }]
        : [];
    res.json(await withDeadline(handleFor(req.params.id).query(msg.statusQuery, ...page)));
  });

  mount(ROUTES.decide, async (req, res) => {
    const body = parseOr400(bodies.decision, req.body, 'decision');
    const approval = await update(
      handleFor(req.params.id),
      msg.decideUpdate,
      {
        approvalId: String(req.params.approvalId),
        ...body,
        actor: actorOf(req),
      },
      keyOf(req),
    );
    metrics.decisions.inc({ decision: body.decision });
    metrics.approvalLatency.observe((Date.now() - Date.parse(approval.requestedAt)) / 1000);
    res.json(approval);
  });

  mount(ROUTES.optOut, async (req, res) => {
    const body = parseOr400(bodies.optOut, req.body, 'opt-out');
    const optOut = await update(
      handleFor(req.params.id),
      msg.optOutUpdate,
      { ...body, actor: actorOf(req) },
      keyOf(req),
    );
    metrics.optOuts.inc({ mode: optOut.mode, scope: optOut.scope.kind });
    res.json({ optOut });
  });

  mount(ROUTES.optIn, async (req, res) => {
    const body = parseOr400(bodies.optIn, req.body, 'opt-in');
    res.json({
      released: await update(handleFor(req.params.id), msg.optInUpdate, { ...body, actor: actorOf(req) }, keyOf(req)),
    });
  });

  mount(ROUTES.override, async (req, res) => {
    const body = parseOr400(bodies.override, req.body, 'override');
    res.status(201).json({
      override: await update(
        handleFor(req.params.id),
        msg.overrideUpdate,
        { ...body, actor: actorOf(req) },
        keyOf(req),
      ),
    });
  });

  mount(ROUTES.note, async (req, res) => {
    const body = parseOr400(bodies.note, req.body, 'note');
    await update(handleFor(req.params.id), msg.addNoteUpdate, { ...body, actor: actorOf(req) }, keyOf(req));
    res.status(201).json({ noted: true });
  });

  mount(ROUTES.settle, async (req, res) => {
    const body = parseOr400(bodies.settle, req.body, 'settle request');
    const settled = await update(handleFor(req.params.id), msg.settleMitigationUpdate, {
      stepId: String(req.params.stepId),
      ...body,
      actor: actorOf(req),
    });
    res.json({ settled });
  });

  mount(ROUTES.resolve, async (req, res) => {
    const body = parseOr400(bodies.resolve, req.body, 'resolution');
    await update(handleFor(req.params.id), msg.resolveUpdate, { ...body, actor: actorOf(req) }, keyOf(req));
    res.json({ resolved: true });
  });

  /** Emergency stop: attribute it (signal), then cancel; the workflow unwinds and audits. */
  mount(ROUTES.cancel, async (req, res) => {
    const body = parseOr400(bodies.stop, req.body, 'cancel request');
    await stop(handleFor(req.params.id), { ...body, actor: actorOf(req) });
    res.status(202).location(`/v1/incidents/${req.params.id}`).json({ cancelRequested: true });
  });
}
