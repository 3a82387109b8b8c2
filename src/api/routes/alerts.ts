import type { Request, Response } from 'express';
import type { IncidentIntake } from '../../clients/temporal/incident-intake.js';
import type { AlertDelivery } from '../../domain/incident/alert.js';
import {
  alertmanagerIncidentKey,
  alertmanagerWebhookSchema,
  normalizeAlertmanager,
} from '../../domain/incident/alertmanager.js';
import { genericAlertSchema, genericIncidentKey, normalizeGeneric } from '../../domain/incident/generic.js';
import { grafanaWebhookSchema, normalizeGrafana } from '../../domain/incident/grafana.js';
import {
  INCIDENT_ID_PATTERN,
  incidentIdFor,
  isDryRunId,
  workflowIdFor,
  type AlertSource,
} from '../../domain/incident/incident-id.js';
import { restartInputSchema } from '../../domain/incident/refire-policy.js';
import {
  normalizePagerDuty,
  PAGERDUTY_HANDLED_EVENTS,
  pagerDutyIncidentKey,
  pagerDutyWebhookSchema,
} from '../../domain/incident/pagerduty.js';
import { queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

/**
 * Alert intake. Each format normalizes to one incident key and one delivery; the incident's
 * response takes it (src/clients/temporal/incident-intake.ts: one signal-with-start while the
 * response runs or before it exists; the re-fire policy once it has ended; dry runs apart).
 */
export function alertRoutes(mount: Mount, intake: IncidentIntake, metrics: GatewayMetrics) {
  async function ingest(
    req: Request,
    res: Response,
    source: AlertSource,
    key: string,
    dryRun: string | undefined,
    toDelivery: (incidentId: string) => AlertDelivery,
  ) {
    // A signed delivery without its own ID is identified by its signature (see middleware.ts).
    const identified = (id: string) => {
      const delivery = toDelivery(id);
      return delivery.deliveryId || !req.signedDeliveryId
        ? delivery
        : { ...delivery, deliveryId: req.signedDeliveryId };
    };
    const out = await withDeadline(
      intake.deliver(incidentIdFor(source, key), identified, { dryRun: dryRun === 'true' }),
    );
    metrics.alerts.inc({ source });
    // Recorded only: the request is complete, nothing was started to act on it.
    res
      .status(out.outcome === 'recorded' ? 200 : 202)
      .location(`/v1/incidents/${out.incidentId}`)
      .json(out.outcome === 'recorded' ? { ...out, recorded: true } : out);
  }

  /** A responder starts a new response for an ended incident, past the re-fire policy. */
  mount(ROUTES.restart, async (req, res) => {
    const body = parseOr400(restartInputSchema, req.body, 'restart');
    const id = String(req.params.id);
    if (!INCIDENT_ID_PATTERN.test(id) || isDryRunId(id))
      throw new HttpError(404, 'not_found', `no incident "${id}" (incident ids look like am-<24 hex digits>)`);
    const out = await withDeadline(intake.restart(id, req.actor!, body.reason));
    if (out.state === 'not-found') throw new HttpError(404, 'not_found', `no response for incident ${id} ever ran`);
    if (out.state === 'running')
      throw new HttpError(409, 'ResponseRunning', 'the response is still running: steer it instead of restarting it');
    res
      .status(202)
      .location(`/v1/incidents/${id}`)
      .json({
        outcome: 'restarted',
        incidentId: id,
        workflowId: workflowIdFor(id),
        runId: out.runId,
        eventId: out.eventId,
      });
  });

  mount(ROUTES.alertmanager, async (req, res) => {
    const body = parseOr400(alertmanagerWebhookSchema, req.body, 'Alertmanager webhook');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    await ingest(req, res, 'alertmanager', alertmanagerIncidentKey(body), dryRun, (id) =>
      normalizeAlertmanager(body, id, new Date()),
    );
  });

  mount(ROUTES.grafana, async (req, res) => {
    const body = parseOr400(grafanaWebhookSchema, req.body, 'Grafana webhook');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    await ingest(req, res, 'grafana', body.groupKey, dryRun, (id) => normalizeGrafana(body, id, new Date()));
  });

  mount(ROUTES.pagerduty, async (req, res) => {
    const body = parseOr400(pagerDutyWebhookSchema, req.body, 'PagerDuty webhook');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    // Other event types (acknowledged, annotated, …) are not alerts: accept and ignore them,
    // or PagerDuty would retry them and eventually disable the subscription.
    if (!(PAGERDUTY_HANDLED_EVENTS as readonly string[]).includes(body.event.event_type)) {
      res.status(202).json({ ignored: true, eventType: body.event.event_type });
      return;
    }
    await ingest(req, res, 'pagerduty', pagerDutyIncidentKey(body), dryRun, (id) =>
      normalizePagerDuty(body, id, new Date()),
    );
  });

  mount(ROUTES.generic, async (req, res) => {
    const body = parseOr400(genericAlertSchema, req.body, 'alert');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    await ingest(req, res, 'generic', genericIncidentKey(body), dryRun, (id) => normalizeGeneric(body, id, new Date()));
  });
}
