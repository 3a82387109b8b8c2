import type { AuditStore } from '../audit/audit-store.js';
import type { AuditEvent } from '../domain/audit/event.js';
import type { HttpRequestParams, Playbook } from '../domain/playbook/playbook.js';
import { performHttpRequest, type ActionResult } from './actions/http-request.js';
import type { PlaybookCatalog } from './playbook/catalog.js';

export interface ActionRequest {
  incidentId: string;
  stepId: string;
  kind: string;
  action: 'http.request';
  params: HttpRequestParams;
}

export interface ActivityDependencies {
  playbooks: PlaybookCatalog;
  audit: Pick<AuditStore, 'indexEvents'>;
  fetch?: typeof fetch;
}

/**
 * Every activity the worker registers, built from injected clients so workflow code never sees
 * a client and tests can point them at their own servers.
 */
export function createActivities(deps: ActivityDependencies) {
  return {
    /** Runs as an activity so the chosen playbook is recorded in history: the response keeps it. */
    async selectPlaybook(labels: Record<string, string>): Promise<Playbook | null> {
      return deps.playbooks.select(labels) ?? null;
    },

    async runAction(request: ActionRequest): Promise<ActionResult> {
      switch (request.action) {
        case 'http.request':
          return performHttpRequest(request.params, deps.fetch);
      }
    },

    async indexAuditEvents(events: AuditEvent[]): Promise<void> {
      await deps.audit.indexEvents(events);
    },
  };
}
export type IncidentActivities = ReturnType<typeof createActivities>;
