import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import * as msg from '../../contracts/guardrails.js';
import type { AuditEventType } from '../../domain/audit/event.js';
import {
  freezeInputSchema,
  killSwitchInputSchema,
  pauseInputSchema,
  releaseInputSchema,
  removeControlSchema,
  ruleInputSchema,
} from '../../domain/guardrails/controls.js';
import { refusedChangeSchema, standingRulesSchema } from '../../domain/guardrails/controls-schema.js';
import { describeIssues } from '../../domain/response/inputs.js';
import type { infer as zInfer, ZodType } from 'zod';
import type { Actor } from '../../domain/actor/actor.js';
import { liftRefusal } from '../../domain/trust/rules.js';
import { checkActor, isUnverified, withoutAttestation } from '../shared/verification.js';
import { parse, who, type GuardrailsState } from './state.js';

/** Every query, update and signal of the control workflow; registered before its first await. */
export function registerHandlers(g: GuardrailsState): void {
  const { controls, audit, outbox, workflowId } = g;
  const changed = g.changed.bind(g);
  const nextId = g.nextId.bind(g);

  /**
   * Parse a change and take its person: verified from the gateway's signature, or declared and
   * marked unverified (enough to engage a control, never to lift one; see shared/verification.ts).
   * `apply` remembers the signature's nonce, so a replayed decision is refused.
   */
  function take<S extends ZodType<{ actor: Actor }>>(name: string, schema: S, raw: unknown, apply = true): zInfer<S> {
    let checked: ReturnType<typeof checkActor>;
    try {
      checked = checkActor(g.trust, g.nonces, { workflowId, input: name }, raw, Date.now());
    } catch (err) {
      // A refused update leaves no trace in history: the handler records the attempt, then refuses.
      if (apply && isUnverified(err)) {
        const declared = (raw as { actor?: { id?: unknown; name?: unknown } } | null)?.actor;
        const text = (v: unknown) => (typeof v === 'string' ? v : 'unknown');
        audit.record('input.rejected', {
          actor: { id: text(declared?.id), name: text(declared?.name), channel: 'temporal-ui' },
          summary: `${name} update refused: ${err.message}`,
        });
      }
      throw err;
    }
    if (!checked) return parse(schema, withoutAttestation(raw));
    const i = parse(schema, { ...(withoutAttestation(raw) as object), actor: checked.actor });
    if (apply && checked.nonce) g.nonces.remember(checked.nonce.value, checked.nonce.keepUntilMs, Date.now());
    return { ...i, actor: { ...i.actor, verified: checked.actor.verified } };
  }

  /** For validators: an unverified attempt passes, so that its handler can record it. */
  function takeToValidate<S extends ZodType<{ actor: Actor }>>(
    name: string,
    schema: S,
    raw: unknown,
  ): zInfer<S> | undefined {
    try {
      return take(name, schema, raw, false);
    } catch (err) {
      if (isUnverified(err)) return undefined;
      throw err;
    }
  }

  /** Lifting a control is policy (default: admins, or whoever engaged it), decided here. */
  function mayLift(actor: Actor, engagedBy: string | undefined): void {
    if (typeof g.trust !== 'object') return; // legacy runs lifted as they did
    const refusal = liftRefusal(actor, engagedBy, g.trust.lift);
    if (refusal) throw ApplicationFailure.create({ type: 'NotAuthorized', message: refusal, nonRetryable: true });
  }

  setHandler(msg.controlsQuery, () => controls);

  setHandler(
    msg.engageKillSwitchUpdate,
    (raw) => {
      const i = take('engageKillSwitch', killSwitchInputSchema, raw);
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
    { validator: (raw) => void take('engageKillSwitch', killSwitchInputSchema, raw, false) },
  );
  setHandler(
    msg.releaseKillSwitchUpdate,
    (raw) => {
      const i = take('releaseKillSwitch', releaseInputSchema, raw);
      mayLift(i.actor, controls.killSwitch.actor?.id);
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
        const i = takeToValidate('releaseKillSwitch', releaseInputSchema, raw);
        if (!i) return;
        if (!controls.killSwitch.engaged)
          throw ApplicationFailure.create({
            type: 'NotEngaged',
            message: 'the kill switch is not engaged',
            nonRetryable: true,
          });
        mayLift(i.actor, controls.killSwitch.actor?.id);
      },
    },
  );
  setHandler(
    msg.addPauseUpdate,
    (raw) => {
      const i = take('addPause', pauseInputSchema, raw);
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
        const i = take('addPause', pauseInputSchema, raw, false);
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
      const i = take('addRule', ruleInputSchema, raw);
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
    { validator: (raw) => void take('addRule', ruleInputSchema, raw, false) },
  );
  setHandler(
    msg.addFreezeUpdate,
    (raw) => {
      const i = take('addFreeze', freezeInputSchema, raw);
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
    { validator: (raw) => void take('addFreeze', freezeInputSchema, raw, false) },
  );
  const listOf = (kind: 'pause' | 'rule' | 'freeze') =>
    (kind === 'pause' ? controls.pauses : kind === 'rule' ? controls.rules : controls.freezes) as Array<{
      id: string;
      source?: string;
    }>;
  setHandler(
    msg.removeControlUpdate,
    (raw) => {
      const i = take('removeControl', removeControlSchema, raw);
      const list = listOf(i.kind);
      mayLift(i.actor, (list.find((x) => x.id === i.id) as { actor?: { id: string } } | undefined)?.actor?.id);
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
        const i = takeToValidate('removeControl', removeControlSchema, raw);
        if (!i) return;
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
        mayLift(i.actor, (found as { actor?: { id: string } }).actor?.id);
      },
    },
  );
  // Signals can come from anyone with Temporal access: a malformed one is recorded, never thrown
  // (a throw here would fail the workflow task and stop every guardrail change until a deploy).
  setHandler(msg.standingRulesSignal, (raw: unknown) => {
    const parsed = standingRulesSchema.safeParse(raw);
    if (!parsed.success) {
      audit.record('input.rejected', {
        actor: { id: 'unknown', name: 'unknown', channel: 'temporal-ui' },
        summary: `Malformed standing rules refused: ${describeIssues(parsed.error)}`,
      });
      return;
    }
    const rules = parsed.data;
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
  setHandler(msg.refusedChangeSignal, (raw: unknown) => {
    const parsed = refusedChangeSchema.safeParse(raw);
    const { actor, attempted } = parsed.success
      ? parsed.data
      : {
          actor: { id: 'unknown', name: 'unknown', channel: 'temporal-ui' as const },
          attempted: 'a malformed refusal report',
        };
    audit.record('input.rejected', { actor, summary: `Refused guardrail change by ${actor.name}: ${attempted}` });
  });
}
