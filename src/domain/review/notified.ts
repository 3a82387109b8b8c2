/**
 * Who a `notification.delivered` event says was asked. The event carries one line (written by
 * describeDeliveries in src/workflows/shared/deliveries.ts; a unit test feeds that function's
 * output through this one, so the two cannot drift apart):
 *
 *   Notification <kind> for <tier>[ (on call: a, b) | (nobody is on call)] sent: <channel> to <to>, …
 */
const DELIVERED = /^Notification (\S+) for (\S+)(?: \((?:on call: (.*?)|nobody is on call)\))? sent: (.*)$/;

export interface NotifiedLine {
  kind: string;
  tier: string;
  /** The people on call the message was for; undefined when no on-call source was configured. */
  onCall?: string[];
  /** Each message that arrived: its channel and destination. */
  sent: Array<{ channel: string; to: string }>;
  /** The people reached: those on call, else the personal destinations (not `#room`, `*` or `kind:key`). */
  people: string[];
}

export function parseDelivered(summary: string): NotifiedLine | undefined {
  const m = DELIVERED.exec(summary);
  if (!m) return undefined;
  const [, kind, tier, onCallText, sentText] = m;
  const nobody = summary.includes('(nobody is on call)');
  const onCall = onCallText !== undefined ? onCallText.split(', ').filter(Boolean) : nobody ? [] : undefined;
  const sent = sentText!.split(', ').flatMap((part) => {
    const at = part.indexOf(' to ');
    return at > 0 ? [{ channel: part.slice(0, at), to: part.slice(at + 4) }] : [];
  });
  const personal = sent.map((s) => s.to).filter((to) => !/^[#*]|:/.test(to));
  return { kind: kind!, tier: tier!, onCall, sent, people: [...new Set(onCall ?? personal)] };
}
