import { upsertSearchAttributes } from '@temporalio/workflow';
import { EnvironmentKey, IncidentIdKey, ServiceKey, SeverityKey } from '../../contracts/search-attributes.js';
import { incidentFacets, type AlertDelivery } from '../../domain/incident/alert.js';
import type { ActorRef } from '../../domain/response/status.js';
import type { ResponseContext } from './state.js';

/** One alert delivery: the first opens the response; later ones join it (and may close it). */
export function onAlert(ctx: ResponseContext, delivery: AlertDelivery): void {
  const { status, audit } = ctx;
  // Senders retry: a delivery they identify is recorded once, however often it arrives.
  if (delivery.deliveryId) {
    if (ctx.seenDeliveries.has(delivery.deliveryId)) {
      status.duplicateDeliveries += 1;
      return;
    }
    ctx.seenDeliveries.add(delivery.deliveryId);
  }
  const first = status.deliveries === 0;
  status.deliveries += 1;
  for (const alert of delivery.alerts) {
    const known = status.alerts.findIndex((a) => a.fingerprint === alert.fingerprint);
    if (known >= 0) status.alerts[known] = alert;
    else status.alerts.push(alert);
  }
  if (first) {
    Object.assign(status, incidentFacets(delivery.labels), { title: delivery.title, labels: delivery.labels });
    upsertSearchAttributes([
      { key: IncidentIdKey, value: ctx.input.incidentId },
      { key: ServiceKey, value: status.service },
      { key: EnvironmentKey, value: status.environment },
      { key: SeverityKey, value: status.severity },
    ]);
  }
  const source: ActorRef = { id: delivery.source, name: delivery.source, channel: 'system' };
  // The audit summary keeps its wording: it is hashed into the chain, and a dry run in flight
  // across a deploy would otherwise rebuild other hashes on replay (test/unit/audit-replay-hashes).
  const opened = `Response opened${ctx.dryRun ? ' (dry run)' : ''}`;
  const event = audit.record(first ? 'response.opened' : 'alert.joined', {
    actor: source,
    summary: `${first ? opened : 'Alert joined'}: ${delivery.title} (${delivery.status}, ${delivery.alerts.length} alert(s))`,
    outcome: delivery.status,
  });
  // The playbook may say that the alerts clearing ends the response.
  const allResolved = status.alerts.every((a) => a.status === 'resolved');
  if (!first && ctx.playbook?.onResolved === 'close' && !ctx.resolved && allResolved) {
    ctx.resolveResponse(source, 'all alerts resolved', {
      summary: 'All alerts resolved: the playbook closes the response',
      causedBy: event.eventId,
    });
  }
}
