import type { Client } from '@temporalio/client';
import type { AlertDelivery } from '../../domain/incident/alert.js';
import {
  alertmanagerIncidentKey,
  alertmanagerWebhookSchema,
  normalizeAlertmanager,
} from '../../domain/incident/alertmanager.js';
import { genericAlertSchema, genericIncidentKey, normalizeGeneric } from '../../domain/incident/generic.js';
import { grafanaWebhookSchema, normalizeGrafana } from '../../domain/incident/grafana.js';
import { incidentIdFor, workflowIdFor, type AlertSource } from '../../domain/incident/incident-id.js';
import {
  normalizePagerDuty,
  PAGERDUTY_HANDLED_EVENTS,
  pagerDutyIncidentKey,
  pagerDutyWebhookSchema,
} from '../../domain/incident/pagerduty.js';
import { alertSignal, INCIDENT_RESPONSE_WORKFLOW } from '../../contracts/incident-response.js';
import { queries, ROUTES } from '../contract.js';
import type { GatewayMetrics } from '../metrics.js';
import { withDeadline, type Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

/**
 * Alert intake. Each format normalizes to one incident key and one delivery; the workflow ID
 * comes from the key, and signal-with-start is atomic on the server, so every delivery for an
 * incident, however many arrive at once, lands in the one running response.
 */
export function alertRoutes(mount: Mount, client: Client, taskQueue: string, metrics: GatewayMetrics) {
  async function ingest(
    source: AlertSource,
    key: string,
    dryRun: string | undefined,
    toDelivery: (incidentId: string) => AlertDelivery,
  ) {
    const incidentId = incidentIdFor(source, key);
    const workflowId = workflowIdFor(incidentId);
    const handle = await withDeadline(
      client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
        workflowId,
        taskQueue,
        // Only a new response takes these; a delivery that joins one leaves its mode alone.
        args: [{ incidentId, dryRun: dryRun === 'true' }],
        signal: alertSignal,
        signalArgs: [toDelivery(incidentId)],
      }),
    );
    metrics.alerts.inc({ source });
    return { incidentId, workflowId, runId: handle.signaledRunId };
  }

  mount(ROUTES.alertmanager, async (req, res) => {
    const body = parseOr400(alertmanagerWebhookSchema, req.body, 'Alertmanager webhook');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    const out = await ingest('alertmanager', alertmanagerIncidentKey(body), dryRun, (id) =>
      normalizeAlertmanager(body, id, new Date()),
    );
    res.status(202).location(`/v1/incidents/${out.incidentId}`).json(out);
  });

  mount(ROUTES.grafana, async (req, res) => {
    const body = parseOr400(grafanaWebhookSchema, req.body, 'Grafana webhook');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    const out = await ingest('grafana', body.groupKey, dryRun, (id) => normalizeGrafana(body, id, new Date()));
    res.status(202).location(`/v1/incidents/${out.incidentId}`).json(out);
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
    const out = await ingest('pagerduty', pagerDutyIncidentKey(body), dryRun, (id) =>
      normalizePagerDuty(body, id, new Date()),
    );
    res.status(202).location(`/v1/incidents/${out.incidentId}`).json(out);
  });

  mount(ROUTES.generic, async (req, res) => {
    const body = parseOr400(genericAlertSchema, req.body, 'alert');
    const { dryRun } = parseOr400(queries.intake, req.query, 'query string');
    const out = await ingest('generic', genericIncidentKey(body), dryRun, (id) =>
      normalizeGeneric(body, id, new Date()),
    );
    res.status(202).location(`/v1/incidents/${out.incidentId}`).json(out);
  });
}
