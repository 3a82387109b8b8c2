/**
 * The guardrails control workflow's contract: one long-running workflow holds every global
 * control (kill switch, scoped pauses, exclusion rules, change freezes). Shared with the gateway.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import type {
  Controls,
  freezeInputSchema,
  killSwitchInputSchema,
  pauseInputSchema,
  releaseInputSchema,
  removeInputSchema,
  ruleInputSchema,
  Rule,
} from '../domain/guardrails/controls.js';
import type { Actor } from '../domain/actor/actor.js';

export const GUARDRAILS_WORKFLOW = 'guardrails';
export const GUARDRAILS_WORKFLOW_ID = 'interlock-guardrails';

export interface GuardrailsInput {
  controls?: Controls;
  /** The audit chain's position, carried across continue-as-new. */
  audit?: { sequence: number; hash: string };
}

export const controlsQuery = defineQuery<Controls>('controls');
export const engageKillSwitchUpdate = defineUpdate<Controls, [z.input<typeof killSwitchInputSchema>]>(
  'engageKillSwitch',
);
export const releaseKillSwitchUpdate = defineUpdate<Controls, [z.input<typeof releaseInputSchema>]>(
  'releaseKillSwitch',
);
export const addPauseUpdate = defineUpdate<Controls, [z.input<typeof pauseInputSchema>]>('addPause');
export const addRuleUpdate = defineUpdate<Controls, [z.input<typeof ruleInputSchema>]>('addRule');
export const addFreezeUpdate = defineUpdate<Controls, [z.input<typeof freezeInputSchema>]>('addFreeze');
export const removeControlUpdate = defineUpdate<
  Controls,
  [z.input<typeof removeInputSchema> & { kind: 'pause' | 'rule' | 'freeze' }]
>('removeControl');
/** The standing rules from config/guardrails.yaml, sent by the worker when it starts. */
export const standingRulesSignal = defineSignal<[Array<Omit<Rule, 'source'>>]>('standingRules');
/** A change the gateway refused (403): recorded, so refused attempts are audited too. */
export const refusedChangeSignal =
  defineSignal<[{ actor: Pick<Actor, 'id' | 'name' | 'channel'>; attempted: string }]>('refusedChange');

/** Broadcast to running responses whenever the controls change. */
export const controlsChangedSignal = defineSignal<[Controls]>('controlsChanged');
