import type { Router } from 'express';
import { incidentReview } from '../api/incident-review.js';
import { toHttpError } from '../api/errors.js';
import { sendReview } from '../api/routes/review.js';
import { html } from './html.js';
import type { ConsoleKit } from './kit.js';
import { reviewSections } from './pages/review.js';
import type { ConsoleDependencies } from './routes.js';

/** An incident's review (the report for its postmortem), and its Markdown and PDF downloads. */
export function reviewPages(router: Router, deps: ConsoleDependencies, kit: ConsoleKit) {
  const { page } = kit;
  const load = (id: string) => incidentReview(deps.audit, deps.client, id);
  const notFound = (id: string) => html`<p>Nothing is known about incident ${id}.</p>`;

  router.get('/incidents/:id/report', async (req, res) => {
    const id = String(req.params.id);
    const review = await load(id);
    if (!review) return void (await page(res, 'Not found', notFound(id), {}, 404));
    await page(
      res,
      `Incident review: ${review.title}`,
      html`<p class="downloads">
          <a href="/console/incidents/${id}/report.md">Markdown (for the postmortem)</a> ·
          <a href="/console/incidents/${id}/report.pdf">PDF</a> · <a href="/console/incidents/${id}">The incident</a> ·
          <a href="/console/incidents/${id}/review">The audit trail, verified</a>
        </p>
        <div class="review">${reviewSections(review)}</div>`,
    );
  });

  for (const format of ['md', 'pdf'] as const)
    router.get(`/incidents/:id/report.${format}`, async (req, res) => {
      const id = String(req.params.id);
      const review = await load(id);
      if (!review) return void (await page(res, 'Not found', notFound(id), {}, 404));
      try {
        await sendReview(res, review, format, deps.pdf);
      } catch (err) {
        const http = toHttpError(err);
        if (!http) throw err;
        await page(res, 'Not available', html`<p>${http.message}</p>`, {}, http.status);
      }
    });
}
