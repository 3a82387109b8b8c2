import type { Interlock, Person } from './interlock.js';
import { alertmanagerWebhook, uniqueGroupKey } from './interlock.js';

/** Poll until `check` returns without throwing (no vitest here: `npm run safety` uses this too). */
async function poll<T>(check: () => Promise<T>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Helpers over the HTTP API that most response tests share. */
export function responses(h: Interlock) {
  const status = async (incidentId: string) =>
    (await h.request('GET', `/v1/incidents/${incidentId}`, { as: 'alice' })).body;
  return {
    status,
    async open(label: string, opts: { labels?: Record<string, string>; query?: string } = {}): Promise<string> {
      const res = await h.request('POST', `/v1/alerts/alertmanager${opts.query ?? ''}`, {
        as: 'alertmanager',
        body: alertmanagerWebhook(uniqueGroupKey(label), { labels: opts.labels }),
      });
      if (res.status !== 202) throw new Error(`alert intake answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.incidentId;
    },
    /** Poll the status view until `predicate` holds; returns that view. */
    async until(incidentId: string, predicate: (s: any) => boolean, timeout = 20_000): Promise<any> {
      return poll(async () => {
        const s = await status(incidentId);
        if (!predicate(s))
          throw new Error(
            `not yet: phase ${s.phase}, steps ${s.steps?.map((x: any) => `${x.id}=${x.state}`).join(' ')}`,
          );
        return s;
      }, timeout);
    },
    pendingApproval: (incidentId: string) =>
      poll(async () => {
        const s = await status(incidentId);
        const pending = s.approvals?.find((a: any) => a.state === 'pending');
        if (!pending) throw new Error('no pending approval yet');
        // Settled once what was sent about it is recorded (nothing else happens until people act).
        if (!pending.notified?.length) throw new Error('the request is not sent yet');
        return pending;
      }, 20_000),
    decide: (incidentId: string, approvalId: string, as: Person, body: Record<string, unknown>) =>
      h.request('POST', `/v1/incidents/${incidentId}/approvals/${approvalId}`, { as, body }),
    post: (incidentId: string, what: string, as: Person, body: Record<string, unknown>) =>
      h.request('POST', `/v1/incidents/${incidentId}/${what}`, { as, body }),
    result: (incidentId: string) => h.client.workflow.getHandle(`incident-${incidentId}`).result(),
    types: (s: any): string[] => s.timeline.map((e: any) => e.type),
  };
}
