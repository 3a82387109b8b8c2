import { createHash, randomUUID } from 'node:crypto';
import { startSummary } from '../../domain/incident/start-summary.js';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { alertSignal, INCIDENT_RESPONSE_WORKFLOW, statusQuery } from '../../contracts/incident-response.js';
import type { Actor } from '../../domain/actor/actor.js';
import { eventHash, GENESIS_HASH } from '../../domain/audit/chain.js';
import type { AuditEvent, AuditEventType } from '../../domain/audit/event.js';
import { incidentFacets, type AlertDelivery } from '../../domain/incident/alert.js';
import { dryRunIncidentId, sourceOf, workflowIdFor } from '../../domain/incident/incident-id.js';
import {
  decideRefire,
  isAutomatedStart,
  START_MEMO_KEY,
  type RefirePolicy,
  type StartedBy,
} from '../../domain/incident/refire-policy.js';
import type { AuditStore } from '../opensearch/audit-store.js';

/** What became of one alert delivery. */
export type IntakeOutcome =
  /** The running response has it (it opened one if the incident had none yet). */
  | { outcome: 'delivered'; incidentId: string; workflowId: string; runId: string }
  /** A dry run of its own, beside any real response. */
  | { outcome: 'dry-run'; incidentId: string; workflowId: string; runId: string }
  /** The incident's response had ended: the re-fire is recorded, and opened a new one (or not, and why). */
  | { outcome: 'reopened'; incidentId: string; workflowId: string; runId: string; started: true; reason: string }
  | { outcome: 'recorded'; incidentId: string; workflowId: string; started: false; reason: string; eventId: string };

/**
 * Alert intake against Temporal with the re-fire policy. The hot path is one signal-with-start
 * that refuses to reuse the ID of an ended response (REJECT_DUPLICATE), so joining a running
 * response or opening the first one costs what it always did; only an alert for an ended
 * incident takes the slower path: look at the ended response, decide (a pure rule), record.
 *
 * Re-fire records are written by the gateway, not by a workflow (the ended one takes no more
 * events), each as its own one-event chain (`refire:…:1`) beside the ended response's chain,
 * which therefore stays exactly as that response recorded it. The record that reopens after run
 * R has the ID `refire:<incident>:after-<R>:1`, and OpenSearch stores a given ID once: whichever
 * delivery stores it starts the new response, so concurrent gateways open at most one.
 */
function uiSummary(delivery: AlertDelivery) {
  const { summary, details } = startSummary(delivery);
  return { staticSummary: summary, staticDetails: details };
}

export function createIncidentIntake(deps: {
  client: Client;
  taskQueue: string;
  audit: AuditStore;
  policy: RefirePolicy;
  now?: () => Date;
}) {
  const { client, taskQueue, audit, policy } = deps;
  const now = deps.now ?? (() => new Date());

  const start = (incidentId: string, delivery: AlertDelivery, startedBy: StartedBy, reuse: boolean, dryRun = false) =>
    client.workflow.signalWithStart(INCIDENT_RESPONSE_WORKFLOW, {
      workflowId: workflowIdFor(incidentId),
      taskQueue,
      args: [{ incidentId, dryRun }],
      signal: alertSignal,
      signalArgs: [delivery],
      memo: { [START_MEMO_KEY]: startedBy },
      // What the Temporal UI lists and shows for the response from its start.
      ...uiSummary(delivery),
      // Without reuse an ended response's ID is refused, which is how an ended incident is noticed.
      workflowIdReusePolicy: reuse ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    });

  async function latestRun(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** Responses of this incident started by alerts within the hour before `at` (Temporal visibility). */
  async function automatedStartsSince(workflowId: string, at: Date): Promise<number> {
    const since = new Date(at.getTime() - 3_600_000).toISOString();
    let count = 0;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND StartTime > '${since}'` }))
      if (isAutomatedStart(run.memo?.[START_MEMO_KEY])) count++;
    return count;
  }

  function record(
    chain: string,
    type: AuditEventType,
    fields: { incidentId: string; labels: Record<string, string>; actor: AuditEvent['actor'] } & Pick<
      AuditEvent,
      'summary' | 'reason' | 'outcome' | 'causedBy' | 'parameters'
    >,
  ): AuditEvent {
    const { labels, ...rest } = fields;
    const event: Omit<AuditEvent, 'hash'> = {
      eventId: `${chain}:1`,
      sequence: 1,
      time: now().toISOString(),
      workflowId: workflowIdFor(fields.incidentId),
      type,
      ...incidentFacets(labels),
      ...rest,
      prevHash: GENESIS_HASH,
    };
    return { ...event, hash: eventHash(event) };
  }

  /** A delivery the sender identifies is recorded once however often it is redelivered. */
  const deliveryKey = (delivery: AlertDelivery) =>
    delivery.deliveryId
      ? `d-${createHash('sha256').update(delivery.deliveryId).digest('hex').slice(0, 32)}`
      : `u-${randomUUID()}`;

  async function refire(incidentId: string, delivery: AlertDelivery): Promise<IntakeOutcome> {
    const workflowId = workflowIdFor(incidentId);
    const actor = { id: delivery.source, name: delivery.source, channel: 'system' as const };
    for (let attempt = 0; ; attempt++) {
      const latest = await latestRun(workflowId);
      if (latest?.status.name === 'RUNNING') {
        // Another delivery opened it meanwhile: join it (a resolved one may join a running response).
        try {
          await client.workflow.getHandle(workflowId).signal(alertSignal, delivery);
          return { outcome: 'delivered', incidentId, workflowId, runId: latest.runId };
        } catch (err) {
          // It ended in between: decide again about the response that just ended.
          if (err instanceof WorkflowNotFoundError) continue;
          throw err;
        }
      }
      const at = now();
      const decision = latest
        ? decideRefire(
            {
              status: delivery.status,
              lastEndedAt: latest.closeTime ?? at,
              automatedStartsLastHour: await automatedStartsSince(workflowId, at),
              now: at,
            },
            policy,
          )
        : { start: false as const, reason: 'a resolved notification never starts a response; none was open' };
      const summary = `${latest ? 'Alert re-fired after the response ended' : 'Resolved alert for an incident with no response'}: ${delivery.title} (${delivery.status})`;
      const common = {
        incidentId,
        labels: delivery.labels,
        actor,
        reason: decision.reason,
        causedBy: latest ? `${workflowId}:${latest.runId}` : undefined,
        parameters: { status: delivery.status, deliveryId: delivery.deliveryId, endedRunId: latest?.runId },
      };
      if (!decision.start || !latest) {
        const event = record(
          `refire:${incidentId}:${deliveryKey(delivery)}`,
          latest ? 'alert.refired' : 'alert.ignored',
          {
            ...common,
            summary: `${summary}: nothing started`,
            outcome: 'recorded',
          },
        );
        await audit.createEvent(event);
        return {
          outcome: 'recorded',
          incidentId,
          workflowId,
          started: false,
          reason: decision.reason,
          eventId: event.eventId,
        };
      }
      const claim = record(`refire:${incidentId}:after-${latest.runId}`, 'alert.refired', {
        ...common,
        summary: `${summary}: a new response opens`,
        outcome: 'reopened',
      });
      // The last attempt starts regardless: a claim whose owner never started is not a lock forever.
      if ((await audit.createEvent(claim)) || attempt >= 4) {
        const handle = await start(incidentId, delivery, 'refire', true);
        return {
          outcome: 'reopened',
          incidentId,
          workflowId,
          runId: handle.signaledRunId,
          started: true,
          reason: decision.reason,
        };
      }
      // Someone else owns the reopening after this run: look again once it had time to start.
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }

  return {
    /** One alert delivery (built for the incident ID it is given: dry runs get their own). */
    async deliver(
      incidentId: string,
      toDelivery: (incidentId: string) => AlertDelivery,
      options: { dryRun?: boolean } = {},
    ): Promise<IntakeOutcome> {
      if (options.dryRun) {
        // Its own ID space: a rehearsal never joins, blocks or is counted against the real response.
        const id = dryRunIncidentId(incidentId, now());
        const handle = await start(id, toDelivery(id), 'alert', false, true);
        return { outcome: 'dry-run', incidentId: id, workflowId: workflowIdFor(id), runId: handle.signaledRunId };
      }
      const delivery = toDelivery(incidentId);
      const workflowId = workflowIdFor(incidentId);
      try {
        if (delivery.status === 'resolved') {
          // Never a start: only a running response hears it.
          const handle = client.workflow.getHandle(workflowId);
          await handle.signal(alertSignal, delivery);
          return { outcome: 'delivered', incidentId, workflowId, runId: (await handle.describe()).runId };
        }
        const handle = await start(incidentId, delivery, 'alert', false);
        return { outcome: 'delivered', incidentId, workflowId, runId: handle.signaledRunId };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError)
          return refire(incidentId, delivery);
        throw err;
      }
    },

    /**
     * A responder starts a new response for an ended incident, past the re-fire policy: from the
     * alerts the ended response last saw. Recorded (who, why) before it starts.
     */
    async restart(
      incidentId: string,
      actor: Actor,
      reason: string,
    ): Promise<{ state: 'not-found' } | { state: 'running' } | { state: 'started'; runId: string; eventId: string }> {
      const workflowId = workflowIdFor(incidentId);
      const latest = await latestRun(workflowId);
      if (!latest) return { state: 'not-found' };
      if (latest.status.name === 'RUNNING') return { state: 'running' };
      const ended = await client.workflow.getHandle(workflowId, latest.runId).query(statusQuery);
      const delivery: AlertDelivery = {
        source: sourceOf(incidentId),
        incidentId,
        receivedAt: now().toISOString(),
        status: 'firing',
        title: ended.title,
        labels: ended.labels,
        alerts: ended.alerts,
      };
      const event = record(`restart:${incidentId}:${randomUUID()}`, 'response.restart-requested', {
        incidentId,
        labels: ended.labels,
        actor: { id: actor.id, name: actor.name, channel: actor.channel },
        reason,
        summary: `${actor.name} started a new response for the ended incident: ${ended.title}`,
        outcome: 'restarted',
        causedBy: `${workflowId}:${latest.runId}`,
      });
      await audit.createEvent(event);
      const handle = await start(incidentId, delivery, 'restart', true);
      return { state: 'started', runId: handle.signaledRunId, eventId: event.eventId };
    },
  };
}
export type IncidentIntake = ReturnType<typeof createIncidentIntake>;
