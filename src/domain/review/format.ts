/** Shared wording of the review's renderers (Markdown, HTML, PDF), so they say the same thing. */

/** A latency as people read it: 850 ms, 4.2 s, 3 min 05 s, 2 h 10 min. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${abs} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const s = Math.floor(abs / 1000);
  if (abs < 3_600_000) return `${sign}${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${sign}${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An event time without the date noise: 2026-12-04 17:02:03.120Z. */
export const formatTime = (iso: string) => iso.replace('T', ' ');

/** Inputs as `name = value` pairs, in the order given. */
export function formatInputs(inputs: Record<string, unknown> | undefined): string {
  if (!inputs) return '';
  return Object.entries(inputs)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
