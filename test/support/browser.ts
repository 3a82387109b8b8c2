import { createRequire } from 'node:module';
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../../scripts/stack/chromium.js';

/** Debian's Chromium, driven by playwright-core (the project installs it when missing). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = ensureChromium((m) => console.log(`[browser] ${m}`));
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it stands (an empty list is a pass). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') rightly refuses
  // an injected inline script, and the check must not need the policy loosened.
  await page.evaluate(axeSource);
  // Runs in the page: axe checks the whole document.
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as { axe: { run: (ctx: unknown) => Promise<any> }; document: unknown };
    return g.axe.run(g.document);
  });
  return (result.violations as Array<{ id: string; impact: string; help: string; nodes: unknown[] }>)
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}), ${v.nodes.length} element(s)`);
}
