/**
 * Everything the workflows, the activities and the gateway must agree on: message names and
 * payloads, refusal types, phases and search-attribute keys. Imports only Temporal's workflow
 * and common packages and domain types, so workflow code can import it.
 */
export * from './incident-response.js';
export * from './guardrails.js';
export * from './phases.js';
export * from './refusals.js';
export * from './search-attributes.js';
