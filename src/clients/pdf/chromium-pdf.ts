import fs from 'node:fs';
import { ConfigError } from '../../config/env.js';

export class PdfUnavailableError extends Error {
  override name = 'PdfUnavailableError';
}

/** Flags for a headless Chromium on a server: no sandbox user namespaces, GPU or background traffic. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * PDFs by Chromium's own print (through playwright-core), from a self-contained HTML document.
 * One Chromium per document, one document at a time per gateway: a browser costs a few hundred
 * MB, and a queue of reviews must not exhaust the gateway's memory. The page runs without
 * JavaScript and without network (everything it shows is inline), so text from alerts or
 * reasons can never make the renderer fetch or run anything.
 */
export function createPdfRenderer(executablePath: string | undefined) {
  let queue: Promise<unknown> = Promise.resolve();
  async function render(html: string, footer: string): Promise<Buffer> {
    if (!executablePath)
      throw new PdfUnavailableError(
        "PDF rendering is off on this gateway: set CHROMIUM_PATH to a Chromium executable (Debian's chromium package: /usr/bin/chromium)",
      );
    // Loaded on the first PDF: a gateway that never prints one never loads the browser driver.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath, args: ARGS, timeout: 30_000 });
    try {
      const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
      const page = await context.newPage();
      await page.route('**/*', (route) => route.abort());
      await page.setContent(html, { waitUntil: 'load', timeout: 15_000 });
      return await page.pdf({
        format: 'A4',
        printBackground: true,
        margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        // Chromium fills the spans by class; the text is escaped by the caller.
        footerTemplate: `<div style="font-size:8px;width:100%;padding:0 14mm;color:#555;display:flex;justify-content:space-between"><span>${footer}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
      });
    } finally {
      await browser.close();
    }
  }
  return {
    configured: Boolean(executablePath),
    /** Queued behind any document being printed. */
    print(html: string, footer: string): Promise<Buffer> {
      const next = queue.then(
        () => render(html, footer),
        () => render(html, footer),
      );
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
export type PdfRenderer = ReturnType<typeof createPdfRenderer>;

/** CHROMIUM_PATH checked at start: a wrong path stops the gateway, naming the variable. */
export function chromiumPathSetting(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    fs.accessSync(value, fs.constants.X_OK);
    if (!fs.statSync(value).isFile()) throw new Error('not a file');
  } catch {
    throw new ConfigError(
      `CHROMIUM_PATH: ${value} is not an executable file (install Debian's chromium package and use /usr/bin/chromium, or unset it to turn PDFs off)`,
    );
  }
  return value;
}
