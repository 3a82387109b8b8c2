import type { Client } from '@temporalio/client';
import type { Response } from 'express';
import type { AuditStore } from '../../clients/opensearch/audit-store.js';
import { PdfUnavailableError, type PdfRenderer } from '../../clients/pdf/chromium-pdf.js';
import { reviewMarkdown } from '../../domain/review/markdown.js';
import type { IncidentReview } from '../../domain/review/report.js';
import { escapeHtml } from '../../console/html.js';
import { reviewDocument } from '../../console/pages/review.js';
import { queries, ROUTES } from '../contract.js';
import { HttpError } from '../errors.js';
import { incidentReview } from '../incident-review.js';
import type { Mount } from '../mount.js';
import { parseOr400 } from '../validate.js';

export function reviewRoutes(mount: Mount, store: AuditStore, client: Client, pdf: PdfRenderer) {
  mount(ROUTES.review, async (req, res) => {
    const { format } = parseOr400(queries.review, req.query, 'review query');
    const id = String(req.params.id);
    const review = await incidentReview(store, client, id);
    if (!review) throw new HttpError(404, 'not_found', `nothing is known about incident "${id}"`);
    await sendReview(res, review, format, pdf);
  });
}

/** The review in the form asked for (the API's and the console's downloads). */
export async function sendReview(
  res: Response,
  review: IncidentReview,
  format: 'json' | 'md' | 'pdf',
  pdf: PdfRenderer,
): Promise<void> {
  const name = `incident-review-${review.incidentId}`;
  if (format === 'json') return void res.json(review);
  if (format === 'md')
    return void res
      .type('text/markdown; charset=utf-8')
      .set('content-disposition', `inline; filename="${name}.md"`)
      .send(reviewMarkdown(review));
  let document: Buffer;
  try {
    document = await pdf.print(
      reviewDocument(review),
      escapeHtml(`Incident review ${review.incidentId} · generated ${review.generatedAt}`),
    );
  } catch (err) {
    if (err instanceof PdfUnavailableError) throw new HttpError(503, 'not_configured', err.message);
    // A browser that cannot start or print is the gateway's setup, not the caller's request.
    throw new HttpError(
      503,
      'pdf_failed',
      `Chromium could not print the review: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  res.type('application/pdf').set('content-disposition', `attachment; filename="${name}.pdf"`).send(document);
}
