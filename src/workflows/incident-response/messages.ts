/**
 * The public contract of an `incidentResponse` workflow: every signal, update and query, with
 * its payload type. Imported by the workflow and by the gateway (and documented in the README
 * for Temporal UI / CLI users), so the two can never disagree on a name or a shape.
 * Names are stable: renaming one breaks every caller, including saved CLI commands.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertDelivery } from '../../domain/incident/alert.js';
import type { DecisionInput, OptOutInput, StopRequestInput } from '../../domain/response/inputs.js';
import type { ApprovalRequest, ResponsePhase, ResponseStatus } from '../../domain/response/status.js';

export const INCIDENT_RESPONSE_WORKFLOW = 'incidentResponse';

export interface IncidentResponseInput {
  incidentId: string;
}

export interface IncidentResponseOutcome {
  phase: ResponsePhase;
  stepsRun: string[];
}

/** An alert delivery for this incident; the first one opens the response (signal-with-start). */
export const alertSignal = defineSignal<[AlertDelivery]>('alert');

/** The live view: phase, steps, pending approvals with context, opt-out, timeline. */
export const statusQuery = defineQuery<ResponseStatus>('status');

/** Approve or reject an approval request; the validator refuses what may not count. */
export const decideUpdate = defineUpdate<ApprovalRequest, [DecisionInput]>('decide');
/** Fire-and-forget form of `decide` (Temporal UI, CLI). A refused one is audited as input.rejected. */
export const decideSignal = defineSignal<[DecisionInput]>('decide');

/** Stop automation for this response: the running mitigation is interrupted, nothing more runs. */
export const optOutUpdate = defineUpdate<ResponseStatus['optOut'], [OptOutInput]>('optOut');
export const optOutSignal = defineSignal<[OptOutInput]>('optOut');

/** Who pressed the emergency stop and why; sent just before the workflow is cancelled. */
export const stopRequestSignal = defineSignal<[StopRequestInput]>('stopRequest');

/** ApplicationFailure types raised by update validators; the gateway maps them to HTTP statuses. */
export const REFUSAL_TYPES = ['InvalidInput', 'UnknownApproval', 'ApprovalClosed', 'NotAuthorized', 'DuplicateApprover', 'ResponseClosed'] as const;
export type RefusalType = (typeof REFUSAL_TYPES)[number];
