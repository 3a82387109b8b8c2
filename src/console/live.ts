import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Controls } from '../domain/guardrails/controls.js';
import { banner } from './layout.js';
import type { Html } from './html.js';

/** How often a stream looks again: well inside the one second a person should wait to see a change. */
export const LIVE_INTERVAL_MS = 250;

/**
 * A server-sent event stream for one live part of a page: it re-renders the part every interval
 * and sends it only when it changed (and the kill-switch banner when that changed), so an open
 * console shows a change made anywhere (API, Slack, email, another console) within a fraction of
 * a second. The stream ends when the browser goes away.
 */
export function liveStream(
  req: Request,
  res: Response,
  renderPart: () => Promise<Html>,
  controls: () => Promise<Controls | undefined>,
): void {
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let lastPart = '';
  let lastBanner = '';
  let closed = false;
  const digest = (text: string) => createHash('sha256').update(text).digest('base64');
  const send = (event: string, data: string) =>
    res.write(
      `event: ${event}\n${data
        .split('\n')
        .map((line) => `data: ${line}`)
        .join('\n')}\n\n`,
    );
  const tick = async () => {
    if (closed) return;
    try {
      const [part, c] = await Promise.all([renderPart(), controls().catch(() => undefined)]);
      const partDigest = digest(part.text);
      if (partDigest !== lastPart) {
        lastPart = partDigest;
        send('update', part.text);
      }
      const bannerHtml = banner(c).text;
      if (digest(bannerHtml) !== lastBanner) {
        if (lastBanner) send('banner', bannerHtml);
        lastBanner = digest(bannerHtml);
      }
    } catch {
      // A response that just ended, Temporal busy: try again at the next tick.
    }
    if (!closed) timer = setTimeout(tick, LIVE_INTERVAL_MS);
  };
  let timer = setTimeout(tick, 0);
  // The response's close, not the request's (which ends as soon as a GET has been read).
  res.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
}
