import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes a response upserts, so the Temporal UI and the gateway's listing
 * can filter on them. Upserting an unregistered attribute fails the workflow task, so every key
 * here is registered on the server: by scripts/stack (from SEARCH_ATTRIBUTE_KEYS) and by
 * docker-compose.yml's admin-tools job (keep that list equal to this one).
 */
export const IncidentIdKey = defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD);
export const ServiceKey = defineSearchAttributeKey('Service', SearchAttributeType.KEYWORD);
export const EnvironmentKey = defineSearchAttributeKey('Environment', SearchAttributeType.KEYWORD);
export const SeverityKey = defineSearchAttributeKey('Severity', SearchAttributeType.KEYWORD);
export const ResponsePhaseKey = defineSearchAttributeKey('ResponsePhase', SearchAttributeType.KEYWORD);
export const AwaitingApprovalKey = defineSearchAttributeKey('AwaitingApproval', SearchAttributeType.BOOL);
/** When the oldest approval request still open was made; unset when none is open. */
export const ApprovalPendingSinceKey = defineSearchAttributeKey('ApprovalPendingSince', SearchAttributeType.DATETIME);

export const SEARCH_ATTRIBUTE_KEYS = [
  IncidentIdKey,
  ServiceKey,
  EnvironmentKey,
  SeverityKey,
  ResponsePhaseKey,
  AwaitingApprovalKey,
  ApprovalPendingSinceKey,
] as const;
