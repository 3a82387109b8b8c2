/**
 * The facts an audit event carries for analytics, derived as the event is recorded (pure: the
 * workflow calls these with what it knows). Durations are measured at write time so OpenSearch
 * aggregates them directly (percentiles over a field), with no script and nothing read into Node.
 */
export const GUARDRAIL_KINDS = ['kill-switch', 'pause', 'rule', 'freeze', 'other'] as const;
export type GuardrailKind = (typeof GUARDRAIL_KINDS)[number];

/**
 * Which control a blocker names. The blockers are the sentences `evaluateControls` writes
 * (src/domain/guardrails/controls.ts), which the events' summaries repeat; a blocker of the
 * safety rule itself (an approval void, an opt-out) is `other`.
 */
export function guardrailKind(text: string): GuardrailKind {
  if (/kill switch/i.test(text)) return 'kill-switch';
  if (/\bpaused by\b/i.test(text)) return 'pause';
  if (/\bexclusion rule\b/i.test(text)) return 'rule';
  if (/\bchange freeze\b/i.test(text)) return 'freeze';
  return 'other';
}

/** Whole milliseconds from one ISO time to another; undefined when either is missing or invalid. */
export function msBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined;
}

/** Names of the inputs whose values differ between two sets, sorted (an adjustment's evidence). */
export function changedInputs(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(after)
    .filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]))
    .sort();
}
