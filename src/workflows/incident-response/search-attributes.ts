import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the server by scripts/stack (and docker-compose); the Temporal UI filters by them. */
export const IncidentIdKey = defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD);
export const ServiceKey = defineSearchAttributeKey('Service', SearchAttributeType.KEYWORD);
export const EnvironmentKey = defineSearchAttributeKey('Environment', SearchAttributeType.KEYWORD);
export const SeverityKey = defineSearchAttributeKey('Severity', SearchAttributeType.KEYWORD);
export const ResponsePhaseKey = defineSearchAttributeKey('ResponsePhase', SearchAttributeType.KEYWORD);
export const AwaitingApprovalKey = defineSearchAttributeKey('AwaitingApproval', SearchAttributeType.BOOL);
