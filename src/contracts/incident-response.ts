/**
 * The public contract of an `incidentResponse` workflow: every signal, update and query, with
 * its payload type. Imported by the workflow and by the gateway (and documented in the README
 * for Temporal UI / CLI users), so the two can never disagree on a name or a shape.
 * Names are stable: renaming one breaks every caller, including saved CLI commands.
 *
 * Every update has a signal of the same name and payload for fire-and-forget callers (Temporal
 * UI, CLI, batch operations). A signal cannot be refused to its sender, so a refused one is
 * recorded as an `input.rejected` audit event instead, and never fails the workflow.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertDelivery } from '../domain/incident/alert.js';
import type {
  DecisionInput,
  NoteInput,
  OptInInput,
  OptOutInput,
  OverrideInput,
  ResolveInput,
  SettleInput,
  StopRequestInput,
} from '../domain/response/inputs.js';
import type {
  ApprovalRequest,
  OptOutRecord,
  OverrideRecord,
  ResponseStatus,
  UnknownEffect,
} from '../domain/response/status.js';
import type { CarriedResponse, ContinueAsNewLimits, TimelinePageArgs } from '../domain/response/long-lived.js';
import type { ResponsePhase } from './phases.js';

export const INCIDENT_RESPONSE_WORKFLOW = 'incidentResponse';

export interface IncidentResponseInput {
  incidentId: string;
  /** Run the whole playbook and ask for the same approvals, but execute no mitigation. */
  dryRun?: boolean;
  /** When the response continues as new (defaults: Temporal's suggestion, 10,000 events, 10 MB). */
  continueAsNewAfter?: ContinueAsNewLimits;
  /** Set only by the response itself when it continues as new: what the next run goes on from. */
  carried?: CarriedResponse;
}

export interface IncidentResponseOutcome {
  phase: ResponsePhase;
  stepsRun: string[];
}

/** An alert delivery for this incident; the first one opens the response (signal-with-start). */
export const alertSignal = defineSignal<[AlertDelivery]>('alert');

/**
 * The live view: phase, steps, approvals with context, opt-outs, overrides, and one page of the
 * timeline (default: the newest 100 events; `timelinePage` tells the total and the next page).
 * Called without arguments it answers as it always did, with the newest page.
 */
export const statusQuery = defineQuery<ResponseStatus, [TimelinePageArgs?]>('status');

/** Approve or reject (or object to) a request, optionally adjusting the step's inputs. */
export const decideUpdate = defineUpdate<ApprovalRequest, [DecisionInput]>('decide');
export const decideSignal = defineSignal<[DecisionInput]>('decide');

/** Stop automation for the response, one step or one action type (halt now, finish the step, or hand over). */
export const optOutUpdate = defineUpdate<OptOutRecord, [OptOutInput]>('optOut');
export const optOutSignal = defineSignal<[OptOutInput]>('optOut');

/** Release one opt-out (or all): automation resumes from where it was. */
export const optInUpdate = defineUpdate<OptOutRecord[], [OptInInput]>('optIn');
export const optInSignal = defineSignal<[OptInInput]>('optIn');

/** Per-incident overrides: skip a step, require approval for it, or change its inputs (within bounds). */
export const overrideUpdate = defineUpdate<OverrideRecord, [OverrideInput]>('override');
export const overrideSignal = defineSignal<[OverrideInput]>('override');

/**
 * A mitigation's effect is unknown (its worker was lost): retry it (verified, through the same
 * checks as any start), mark it done (verified), or hand the response over to a person (open).
 */
export const settleMitigationUpdate = defineUpdate<UnknownEffect, [SettleInput]>('settleMitigation');
export const settleMitigationSignal = defineSignal<[SettleInput]>('settleMitigation');

/** A note on the response (manual work while handed over). */
export const addNoteUpdate = defineUpdate<void, [NoteInput]>('addNote');
export const addNoteSignal = defineSignal<[NoteInput]>('addNote');

/** Close the response with a resolution; nothing more runs. */
export const resolveUpdate = defineUpdate<void, [ResolveInput]>('resolve');
export const resolveSignal = defineSignal<[ResolveInput]>('resolve');

/**
 * An input the gateway refused (wrong role, tier, team, an unverifiable signature, …): recorded
 * in the response's trail, so auditors find every attempt, granted or refused. It only records.
 */
export const refusedInputSignal =
  defineSignal<
    [{ actor: { id: string; name: string; channel: string }; input: string; reason: string; target?: string }]
  >('refusedInput');

/** Who pressed the emergency stop and why; sent just before the workflow is cancelled. */
export const stopRequestSignal = defineSignal<[StopRequestInput]>('stopRequest');
