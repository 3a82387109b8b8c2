import type { Fact } from '../../../domain/notification/approval-facts.js';

/** Every value that reaches HTML goes through here: alert text and reasons come from outside. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function factsTable(facts: Fact[]): string {
  const rows = facts
    .map(
      (f) =>
        `<tr><th style="text-align:left;vertical-align:top;padding:2px 8px 2px 0">${escapeHtml(f.label)}</th><td style="padding:2px 0;white-space:pre-wrap">${escapeHtml(f.value)}</td></tr>`,
    )
    .join('\n');
  return `<table style="border-collapse:collapse">\n${rows}\n</table>`;
}

export function factsText(facts: Fact[]): string {
  return facts.map((f) => `${f.label}: ${f.value}`).join('\n');
}
