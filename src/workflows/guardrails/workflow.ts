import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { AuditEventType } from '../../domain/audit/event.js';
import {
  EMPTY_CONTROLS,
  freezeInputSchema,
  killSwitchInputSchema,
  pauseInputSchema,
  releaseInputSchema,
  removeControlSchema,
  ruleInputSchema,
  type Controls,
} from '../../domain/guardrails/controls.js';
import { describeIssues } from '../../domain/response/inputs.js';
import type { Actor } from '../../domain/actor/actor.js';
import type { infer as zInfer, ZodType } from 'zod';
import { AuditTrail } from '../shared/audit-trail.js';
import { NotificationOutbox } from '../shared/notification-outbox.js';
import * as msg from '../../contracts/guardrails.js';

const { indexAuditEvents, broadcastControls } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const { sendNotification } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // A channel that is down must not hold the controls: a few tries, then the failure is audited.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

/** A deep copy of plain JSON state (the workflow sandbox has no structuredClone). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** History stays bounded: the state moves to a fresh run well before Temporal's limits. */
const MAX_HISTORY_EVENTS = 2000;

function who(actor: Actor) {
  return { id: actor.id, name: actor.name, channel: actor.channel };
}

/**
 * The one long-running workflow that holds every global control. Changes arrive as validated
 * updates, are audited, and are broadcast to running responses; responses also read the
 * current controls right before each mitigation, so a missed broadcast never lets one through.
 */
export async function guardrails(input: msg.GuardrailsInput = {}): Promise<void> {
  const controls: Controls = copy(input.controls ?? EMPTY_CONTROLS);
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const audit = new AuditTrail(
    { incidentId: 'guardrails', workflowId, runKey: firstExecutionRunId },
    () => ({ service: '-', environment: '-', severity: '-' }),
    indexAuditEvents,
    input.audit,
  );
  let counter = controls.version;
  const nextId = (kind: string) => `${kind}-${++counter}`;
  let wake = false;
  const changed = (
    type: AuditEventType,
    actor: ReturnType<typeof who>,
    reason: string | undefined,
    summary: string,
  ) => {
    controls.version += 1;
    audit.record(type, { actor, reason, summary, outcome: `controls v${controls.version}` });
    wake = true;
    return copy(controls);
  };
  const parse = <S extends ZodType>(schema: S, raw: unknown): zInfer<S> => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw ApplicationFailure.create({
        type: 'InvalidInput',
        message: describeIssues(parsed.error),
        nonRetryable: true,
      });
    return parsed.data;
  };

  // Histories from before the kill switch notified anyone replay without an outbox.
  const outbox = patched('notification-outbox')
    ? new NotificationOutbox(sendNotification, (n, cause) =>
        audit.record('notification.failed', {
          actor: { id: 'interlock', name: 'Interlock automation', channel: 'system' },
          summary: `Notification ${n.kind} could not be sent: ${cause}`,
          outcome: 'failed',
        }),
      )
    : undefined;

  setHandler(msg.controlsQuery, () => controls);

  setHandler(
    msg.engageKillSwitchUpdate,
    (raw) => {
      const i = parse(killSwitchInputSchema, raw);
      controls.killSwitch = {
        engaged: true,
        allowDiagnostics: i.allowDiagnostics,
        actor: who(i.actor),
        reason: i.reason,
        at: new Date().toISOString(),
      };
      outbox?.push({
        kind: 'killswitch.engaged',
        // The controls' version only grows, across continue-as-new too: a stable, unique id.
        id: `${workflowId}:notification:v${controls.version + 1}`,
        incidentId: 'guardrails',
        workflowId,
        title: 'Kill switch',
        service: '-',
        environment: '-',
        severity: '-',
        dryRun: false,
        at: controls.killSwitch.at!,
        actor: who(i.actor),
        reason: i.reason,
        recipients: [{ tier: 'responders' }],
      });
      return changed(
        'guardrail.killswitch-engaged',
        who(i.actor),
        i.reason,
        `${i.actor.name} engaged the kill switch${i.allowDiagnostics ? ' (diagnostics allowed)' : ''}`,
      );
    },
    { validator: (raw) => void parse(killSwitchInputSchema, raw) },
  );
  setHandler(
    msg.releaseKillSwitchUpdate,
    (raw) => {
      const i = parse(releaseInputSchema, raw);
      controls.killSwitch = { engaged: false, allowDiagnostics: controls.killSwitch.allowDiagnostics };
      return changed(
        'guardrail.killswitch-released',
        who(i.actor),
        i.reason,
        `${i.actor.name} released the kill switch`,
      );
    },
    {
      validator: (raw) => {
        parse(releaseInputSchema, raw);
        if (!controls.killSwitch.engaged)
          throw ApplicationFailure.create({
            type: 'NotEngaged',
            message: 'the kill switch is not engaged',
            nonRetryable: true,
          });
      },
    },
  );
  setHandler(
    msg.addPauseUpdate,
    (raw) => {
      const i = parse(pauseInputSchema, raw);
      const pause = {
        id: nextId('pause'),
        selector: i.selector,
        reason: i.reason,
        actor: who(i.actor),
        at: new Date().toISOString(),
        expiresAt: i.expiresAt,
      };
      controls.pauses.push(pause);
      return changed(
        'guardrail.pause-added',
        pause.actor,
        i.reason,
        `${i.actor.name} paused automation for ${JSON.stringify(i.selector)}${i.expiresAt ? ` until ${i.expiresAt}` : ''} (${pause.id})`,
      );
    },
    {
      validator: (raw) => {
        const i = parse(pauseInputSchema, raw);
        if (i.expiresAt && Date.parse(i.expiresAt) <= Date.now())
          throw ApplicationFailure.create({
            type: 'InvalidInput',
            message: 'expiresAt is in the past',
            nonRetryable: true,
          });
      },
    },
  );
  setHandler(
    msg.addRuleUpdate,
    (raw) => {
      const i = parse(ruleInputSchema, raw);
      const rule = {
        id: nextId('rule'),
        selector: i.selector,
        effect: i.effect,
        tier: i.tier,
        reason: i.reason,
        source: 'runtime' as const,
        actor: who(i.actor),
        at: new Date().toISOString(),
      };
      controls.rules.push(rule);
      return changed(
        'guardrail.rule-added',
        rule.actor!,
        i.reason,
        `${i.actor.name} added exclusion rule ${rule.id}: ${i.effect} for ${JSON.stringify(i.selector)}`,
      );
    },
    { validator: (raw) => void parse(ruleInputSchema, raw) },
  );
  setHandler(
    msg.addFreezeUpdate,
    (raw) => {
      const i = parse(freezeInputSchema, raw);
      const freeze = {
        id: nextId('freeze'),
        selector: i.selector,
        start: i.start,
        end: i.end,
        mode: i.mode,
        tier: i.tier,
        reason: i.reason,
        actor: who(i.actor),
        at: new Date().toISOString(),
      };
      controls.freezes.push(freeze);
      return changed(
        'guardrail.freeze-added',
        freeze.actor,
        i.reason,
        `${i.actor.name} declared change freeze ${freeze.id} from ${i.start} to ${i.end} (${i.mode})`,
      );
    },
    { validator: (raw) => void parse(freezeInputSchema, raw) },
  );
  const listOf = (kind: 'pause' | 'rule' | 'freeze') =>
    (kind === 'pause' ? controls.pauses : kind === 'rule' ? controls.rules : controls.freezes) as Array<{
      id: string;
      source?: string;
    }>;
  setHandler(
    msg.removeControlUpdate,
    (raw) => {
      const i = parse(removeControlSchema, raw);
      const list = listOf(i.kind);
      list.splice(
        list.findIndex((x) => x.id === i.id),
        1,
      );
      return changed(
        `guardrail.${i.kind}-removed` as AuditEventType,
        who(i.actor),
        i.reason,
        `${i.actor.name} removed ${i.id}`,
      );
    },
    {
      validator: (raw) => {
        const i = parse(removeControlSchema, raw);
        const found = listOf(i.kind).find((x) => x.id === i.id);
        if (!found)
          throw ApplicationFailure.create({
            type: 'UnknownControl',
            message: `no ${raw.kind} "${raw.id}"`,
            nonRetryable: true,
          });
        if (found.source === 'file')
          throw ApplicationFailure.create({
            type: 'InvalidInput',
            message: `${raw.id} is a standing rule from config/guardrails.yaml: change the file`,
            nonRetryable: true,
          });
      },
    },
  );
  setHandler(msg.standingRulesSignal, (rules) => {
    controls.rules = [
      ...controls.rules.filter((r) => r.source !== 'file'),
      ...rules.map((r) => ({ ...r, source: 'file' as const })),
    ];
    changed(
      'guardrail.rule-added',
      { id: 'worker', name: 'config/guardrails.yaml', channel: 'system' },
      undefined,
      `Standing rules loaded: ${rules.map((r) => r.id).join(', ') || 'none'}`,
    );
  });
  setHandler(msg.refusedChangeSignal, ({ actor, attempted }) => {
    audit.record('input.rejected', { actor, summary: `Refused guardrail change by ${actor.name}: ${attempted}` });
  });

  audit.start();
  outbox?.start();

  // Broadcast the newest controls whenever they change (coalescing bursts of changes).
  let broadcastVersion = -1;
  const broadcaster = CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => broadcastVersion < controls.version);
      const snapshot = copy(controls);
      await broadcastControls(snapshot);
      broadcastVersion = snapshot.version;
    }
  });
  void broadcaster;

  // Cancelling this workflow would drop every control at once (a kill switch, pauses, freezes):
  // that lets automation go ahead, so it is not taken from a Cancel button. The request is
  // refused and audited; controls are released one by one through the API.
  CancellationScope.current().cancelRequested.catch(() => {
    audit.record('input.rejected', {
      actor: { id: 'unknown', name: 'Temporal cancel request', channel: 'temporal-ui' },
      summary:
        'Cancel request for the guardrails control workflow refused: release the controls through the API instead',
    });
  });
  await CancellationScope.nonCancellable(() => holdControls());

  async function holdControls(): Promise<never> {
    for (;;) {
      const now = Date.now();
      const expiries = controls.pauses.filter((p) => p.expiresAt).map((p) => Date.parse(p.expiresAt!));
      const next = expiries.length ? Math.max(0, Math.min(...expiries) - now) : undefined;
      if (next === undefined) await condition(() => wake);
      else await condition(() => wake, next);
      wake = false;
      for (const p of controls.pauses.filter((x) => x.expiresAt && Date.parse(x.expiresAt) <= Date.now())) {
        controls.pauses.splice(controls.pauses.indexOf(p), 1);
        changed(
          'guardrail.pause-expired',
          { id: 'interlock', name: 'Interlock automation', channel: 'system' },
          undefined,
          `Pause ${p.id} expired (${JSON.stringify(p.selector)})`,
        );
      }
      if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
        await condition(() => broadcastVersion >= controls.version);
        await condition(allHandlersFinished);
        await outbox?.flush();
        await audit.flush();
        await continueAsNew<typeof guardrails>({ controls, audit: audit.position });
      }
    }
  }
}
