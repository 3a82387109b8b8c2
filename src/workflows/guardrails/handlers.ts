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
import { parse, who, type GuardrailsState } from './state.js';

/** Every query, update and signal of the control workflow; registered before its first await. */
export function registerHandlers(g: GuardrailsState): void {
  const { controls, audit, outbox, workflowId } = g;
  const changed = g.changed.bind(g);
  const nextId = g.nextId.bind(g);

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
}
