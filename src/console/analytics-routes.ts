import type { Router } from 'express';
import { ROUTES } from '../api/contract.js';
import { analyticsQuery } from '../api/contract/analytics-routes.js';
import { describeIssues } from '../domain/response/inputs.js';
import { timeRange } from '../domain/analytics/report.js';
import { html } from './html.js';
import { allowed, str, type ConsoleKit } from './kit.js';
import { analyticsPage, type AnalyticsForm } from './pages/analytics.js';
import type { ConsoleDependencies } from './routes.js';

/** The analytics page: the same query, checks and aggregation as GET /v1/analytics. */
export function analyticsPages(router: Router, deps: ConsoleDependencies, kit: ConsoleKit) {
  const { page, current } = kit;
  router.get('/analytics', async (req, res) => {
    if (!allowed(ROUTES.analytics, current(res).principal.roles))
      return void (await page(res, 'Refused', html`<p>Your roles do not allow reading analytics.</p>`, {}, 403));
    const form: AnalyticsForm = {
      groupBy: str(req.query.groupBy) ?? 'step',
      from: str(req.query.from),
      to: str(req.query.to),
      team: str(req.query.team),
      service: str(req.query.service),
      playbook: str(req.query.playbook),
    };
    const refuse = async (problem: string) =>
      void (await page(res, 'Analytics', analyticsPage(form, undefined), { error: problem }, 400));
    const parsed = analyticsQuery.safeParse(Object.fromEntries(Object.entries(form).filter(([, v]) => v)));
    if (!parsed.success) return refuse(describeIssues(parsed.error));
    const range = timeRange(parsed.data.from, parsed.data.to, Date.now());
    if ('problem' in range) return refuse(range.problem);
    const report = await deps.audit.analytics.report({ ...parsed.data, ...range });
    await page(res, 'Analytics', analyticsPage(form, report));
  });
}
