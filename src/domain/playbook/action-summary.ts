import type { ActionSpec } from './actions.js';

/**
 * One line saying what an action does, for the Temporal UI's activity summary
 * ("restart-replica: POST db.internal/mitigations/restart"). Never the query string, user
 * information or arguments, which may carry tokens; a template (`{{…}}`) is shown as written.
 */
export function actionSummary(stepId: string, action: ActionSpec): string {
  if (action.action === 'http.request') {
    const { method, url } = action.params as { method?: string; url: string };
    return clip(`${stepId}: ${method ?? 'GET'} ${hostAndPath(url)}`);
  }
  if (action.action === 'shell.command') {
    const [program] = (action.params as { command: string[] }).command;
    return clip(`${stepId}: run ${program}`);
  }
  // Never the connection (a secret reference at most) nor the SQL's values.
  if (action.action === 'pg.backends') return clip(`${stepId}: pg ${action.params.operation} sessions`);
  if (action.action === 'pg.statement')
    return clip(`${stepId}: pg ${action.params.sql.trim().split(/\s+/)[0]?.toUpperCase() ?? 'statement'}`);
  if (action.action === 'pg.diagnostics') return clip(`${stepId}: pg ${action.params.report}`);
  if (action.action === 'k8s') {
    const { operation, namespace, name } = action.params as { operation: string; namespace?: string; name: string };
    return clip(`${stepId}: k8s ${operation} ${namespace ? `${namespace}/` : ''}${name}`);
  }
  if (action.action === 'script') return clip(`${stepId}: run runbook ${(action.params as { name: string }).name}`);
  return clip(`${stepId}: ${(action as { action: string }).action}`);
}

function hostAndPath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    // A template or a relative form: the part before any query, without user info.
    return url.split('?')[0]!.replace(/\/\/[^/@]*@/, '//');
  }
}

const clip = (text: string) => (text.length <= 120 ? text : `${text.slice(0, 119)}…`);
