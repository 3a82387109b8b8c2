/**
 * Where a browser may be sent after signing in: a path on this gateway, nothing else. Browsers
 * read `//host` and `/\host` as another site, and some strip tabs and newlines before resolving,
 * so those are refused outright rather than normalised (an open redirect would let a phishing
 * link borrow the gateway's name).
 */
const BASE = 'http://gateway.invalid';

export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  // Control characters, spaces and backslashes have no business in a path we produced.
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || char === '\\') return undefined;
  }
  let resolved: URL;
  try {
    resolved = new URL(value, BASE);
  } catch {
    return undefined;
  }
  if (resolved.origin !== BASE) return undefined;
  return `${resolved.pathname}${resolved.search}`;
}
