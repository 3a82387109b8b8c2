import type { Router } from 'express';
import * as msg from '../contracts/incident-response.js';
import type { InputSpec } from '../domain/playbook/playbook.js';
import type { ResponseStatus } from '../domain/response/status.js';
import { actorFor } from '../api/auth/principals.js';
import { ROUTES } from '../api/contract.js';
import { listIncidents } from '../api/incident-list.js';
import { withDeadline } from '../api/mount.js';
import { html } from './html.js';
import { liveStream } from './live.js';
import { incidentControls, incidentLive } from './pages/incident.js';
import { incidentRows, incidentsPage, type RowDetails } from './pages/incidents.js';
import type { ConsoleDependencies } from './routes.js';
import { allowed, str, typedInputs, type ConsoleKit } from './kit.js';

/** The incident list and one incident: live views and the controls people use on a response. */
export function incidentPages(router: Router, deps: ConsoleDependencies, kit: ConsoleKit) {
  const { inputs } = deps;
  const { current, controls, page, post, form } = kit;
  // Whom an open response waits for, and what blocks it, are in its status, not in the listing.
  // Read in the background for the rows that wait or are blocked, at most once a second per
  // response for all viewers, with a short deadline: a response whose worker is away must not
  // hold the list (its row shows what the listing says until its status answers).
  const rowDetails = new Map<string, RowDetails & { at: number }>();
  const refresh = (incidentId: string, now: number) => {
    rowDetails.set(incidentId, { ...rowDetails.get(incidentId), at: now });
    const handle = inputs.handleFor(incidentId);
    // The deadline cancels the call itself (not only our wait for it): a cancelled call is not
    // retried, so no read outlives its two seconds (a lingering retry would also outlive the
    // Temporal connection when the gateway shuts down).
    void withDeadline(
      handle.client.connection.withAbortSignal(AbortSignal.timeout(2_000), () =>
        handle.query(msg.statusQuery, { limit: 1 }),
      ),
      2_000,
    )
      .then((s) => {
        const waiting = s.approvals.filter((a) => a.state === 'pending');
        rowDetails.set(incidentId, {
          at: now,
          waitingFor: waiting.length
            ? waiting
                .map((a) => {
                  const people = a.notified?.at(-1)?.people;
                  return `${a.kind} ${a.id} from ${a.tier}${people ? ` (${people.join(', ') || 'nobody on call'})` : ''}`;
                })
                .join('; ')
            : undefined,
          blockedBy: s.blockedBy?.join('; '),
        });
      })
      .catch(() => undefined);
  };
  async function listed(filters: Record<string, string | undefined>) {
    const { incidents } = await listIncidents(deps.client, { limit: 50, ...filters } as never);
    const now = Date.now();
    for (const i of incidents)
      if (i.status === 'RUNNING' && (i.awaitingApproval || i.phase === 'blocked'))
        if (now - (rowDetails.get(i.incidentId)?.at ?? 0) > 1_000) refresh(i.incidentId, now);
    const shown = new Map(incidents.map((i) => [i.incidentId, rowDetails.get(i.incidentId) ?? {}]));
    return incidentRows(incidents, shown);
  }

  router.get('/', async (req, res) => {
    const filters = {
      service: str(req.query.service),
      environment: str(req.query.environment),
      open: str(req.query.open),
    };
    await page(res, 'Incidents', incidentsPage(await listed(filters), filters));
  });
  router.get('/live/incidents', (req, res) => {
    const filters = {
      service: str(req.query.service),
      environment: str(req.query.environment),
      open: str(req.query.open),
    };
    liveStream(req, res, () => listed(filters), controls);
  });

  // The page shows the newest 30 events: ask for no more (a long-lived response holds thousands).
  const status = (id: string): Promise<ResponseStatus> =>
    withDeadline(inputs.handleFor(id).query(msg.statusQuery, { limit: 30 }));
  router.get('/incidents/:id', async (req, res) => {
    const s = await status(String(req.params.id)).catch(() => undefined);
    if (!s) return void (await page(res, 'Not found', html`<p>No incident ${String(req.params.id)}.</p>`, {}, 404));
    const roles = current(res).principal.roles;
    const can = {
      decide: allowed(ROUTES.decide, roles),
      optOut: allowed(ROUTES.optOut, roles),
      optIn: allowed(ROUTES.optIn, roles),
      stop: allowed(ROUTES.cancel, roles),
      settle: allowed(ROUTES.settle, roles),
    };
    await page(
      res,
      `Incident ${s.incidentId}`,
      html`<p>
          <a href="/console/incidents/${s.incidentId}/report"
            >Incident review (decisions, latencies, who was asked; Markdown, PDF)</a
          >
          · <a href="/console/incidents/${s.incidentId}/review">Review the audit trail (and verify it)</a>
        </p>
        <section data-live="/console/live/incidents/${s.incidentId}" aria-live="polite">${incidentLive(s)}</section>
        ${incidentControls(s, can, current(res).csrf)}`,
      { flash: str(req.query.done) },
    );
  });
  router.get('/live/incidents/:id', (req, res) =>
    liveStream(req, res, async () => incidentLive(await status(String(req.params.id))), controls),
  );
  router.post(
    '/incidents/:id/approvals/:approvalId',
    form,
    post(ROUTES.decide, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const id = String(req.params.id);
      const approvalId = String(req.params.approvalId);
      const decision = body.decision === 'approve' ? 'approve' : 'reject';
      const before = (await status(id)).approvals.find((a) => a.id === approvalId);
      const adjusted = typedInputs(
        body,
        (before?.context.adjustable ?? {}) as Record<string, InputSpec>,
        before?.inputs ?? {},
      );
      await inputs.update(inputs.handleFor(id), msg.decideUpdate, {
        approvalId,
        decision,
        reason: body.reason ?? '',
        ...(adjusted ? { inputs: adjusted } : {}),
        actor: actorFor(s.principal, 'console'),
      });
      return `${decision === 'approve' ? 'Approved' : 'Rejected'} ${approvalId}`;
    }),
  );
  router.post(
    '/incidents/:id/opt-out',
    form,
    post(ROUTES.optOut, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const mode = ['halt-now', 'finish-current-step', 'hand-over'].includes(body.mode ?? '') ? body.mode : 'halt-now';
      await inputs.update(inputs.handleFor(String(req.params.id)), msg.optOutUpdate, {
        reason: body.reason ?? '',
        scope: body.step ? { kind: 'step', stepId: body.step } : { kind: 'response' },
        mode: mode as 'halt-now',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Opted out';
    }),
  );
  router.post(
    '/incidents/:id/steps/:stepId/settle',
    form,
    post(ROUTES.settle, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      // Anything else is refused by the workflow's validator (422), like any bad input.
      const choice = body.choice as 'retry' | 'mark-done' | 'hand-over';
      const settled = await inputs.update(inputs.handleFor(String(req.params.id)), msg.settleMitigationUpdate, {
        stepId: String(req.params.stepId),
        choice,
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return `${settled.stepId}: ${settled.state}`;
    }),
  );
  router.post(
    '/incidents/:id/opt-in',
    form,
    post(ROUTES.optIn, async (req, _res, s) => {
      await inputs.update(inputs.handleFor(String(req.params.id)), msg.optInUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Opted back in';
    }),
  );
  router.post(
    '/incidents/:id/stop',
    form,
    post(ROUTES.cancel, async (req, _res, s) => {
      const handle = inputs.handleFor(String(req.params.id));
      const stop = {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      };
      await inputs.stop(handle, stop);
      return 'Emergency stop requested';
    }),
  );
}
