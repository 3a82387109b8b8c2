import type { Page } from 'playwright-core';
import { restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import { launchBrowser } from '../../test/support/browser.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

/**
 * How fast an open console shows what happened elsewhere: from an approval granted through the
 * API (or the kill switch engaged) to the change being on the page in Chromium, read in the page
 * itself (a MutationObserver stamps the moment), so polling in the benchmark adds nothing.
 */
export const consoleSuite: BenchSuite = {
  description: 'state change elsewhere -> visible in an open console (Chromium), p95',
  async run({ stack, iterations = 20 }) {
    const target = await startTargetServer();
    const h = await startInterlock(stack, {
      playbooks: { 'restart.yaml': restartPlaybook(target.url, { approvers: 2 }) },
      console: true,
    });
    const r = responses(h);
    const browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${h.baseUrl}/console/sign-in`);
    await page.fill('#token', h.tokens.alice);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.baseUrl}/console`);
    const samples: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const id = await r.open(`bench-console-${i}`, { labels: { incident_tag: `console-${i}-${Date.now()}` } });
        const approval = await r.pendingApproval(id);
        await page.goto(`${h.baseUrl}/console/incidents/${id}`);
        await page.locator('[data-approval]').waitFor();
        await watchFor(page, '1 of 2 approvals');
        const t0 = Date.now();
        const res = await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'benchmark' });
        if (res.status !== 200) throw new Error(`decision answered ${res.status}`);
        const seenAt = await page.evaluate(() => (globalThis as unknown as { seen: Promise<number> }).seen);
        samples.push(seenAt - t0);
        await r.post(id, 'resolve', 'alice', { summary: 'benchmark' });
      }
    } finally {
      await browser.close();
      await h.stop();
      await target.close();
    }
    report('console_update_p95_ms', percentile(samples, 95), 'ms', {
      runs: samples.length,
      p50: percentile(samples, 50),
      target: 1000,
    });
  },
};

/** In the page: resolve `seen` with the time the text first appears in <main>. */
async function watchFor(page: Page, text: string): Promise<void> {
  await page.evaluate((wanted) => {
    const g = globalThis as unknown as {
      seen: Promise<number>;
      document: { querySelector(s: string): { textContent: string | null } };
      MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void; disconnect(): void };
    };
    g.seen = new Promise((resolve) => {
      const main = g.document.querySelector('main');
      const observer = new g.MutationObserver(() => {
        if (main.textContent?.includes(wanted)) {
          observer.disconnect();
          resolve(Date.now());
        }
      });
      observer.observe(main, { childList: true, subtree: true, characterData: true });
    });
  }, text);
}
