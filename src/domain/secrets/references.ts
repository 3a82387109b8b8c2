/**
 * Secret references in playbook parameters: `{{secrets.NAME}}`. The workflow only ever holds the
 * reference (so the value never enters Temporal history); the activity resolves it at the moment
 * it acts and scrubs the value out of whatever it returns or throws. Pure: no I/O.
 */

/**
 * Letters, digits and underscores, starting with a letter: safe as a file name (no `/`, no `..`)
 * and as the tail of an environment variable name.
 */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
/** Exactly this form, no spaces: anything else that mentions `secrets.` is refused by the validator. */
const REFERENCE = /\{\{secrets\.([A-Za-z][A-Za-z0-9_]{0,127})\}\}/g;
/** Any placeholder that talks about secrets, well-formed or not (to refuse the malformed ones). */
const ANY_SECRET_PLACEHOLDER = /\{\{\s*secrets\s*\.[^}]*\}\}/g;

/** The names referenced anywhere in a value (strings, arrays and objects, at any depth), each once. */
export function secretNames(value: unknown): string[] {
  const names = new Set<string>();
  visitStrings(value, (s) => {
    for (const m of s.matchAll(REFERENCE)) names.add(m[1]!);
  });
  return [...names];
}

/** Placeholders mentioning secrets that are not exactly `{{secrets.NAME}}` with a valid NAME. */
export function malformedSecretReferences(value: unknown): string[] {
  const bad: string[] = [];
  visitStrings(value, (s) => {
    for (const m of s.matchAll(ANY_SECRET_PLACEHOLDER))
      if (!new RegExp(`^${REFERENCE.source}$`).test(m[0])) bad.push(m[0]);
  });
  return bad;
}

/** Does this text (e.g. a title or an input's default) contain a secret reference? */
export function mentionsSecrets(value: unknown): boolean {
  let found = false;
  visitStrings(value, (s) => {
    if (new RegExp(ANY_SECRET_PLACEHOLDER.source).test(s)) found = true;
  });
  return found;
}

/**
 * A value substituted into parameters (an alert label, an adjusted input) must not smuggle in a
 * reference the playbook author did not write: `{{secrets.X}}` in a label would otherwise be
 * resolved and sent to the step's target. Breaking the braces keeps the text readable.
 */
export function defuseSecretReferences(text: string): string {
  return text.replace(/\{\{(?=\s*secrets\s*\.)/g, '{ {');
}

/** Replace every reference with its value, keys untouched. `values` must hold every referenced name. */
export function resolveSecretReferences<T>(value: T, values: ReadonlyMap<string, string>): T {
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(REFERENCE, (whole, name: string) => values.get(name) ?? whole);
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    return v;
  };
  return render(value) as T;
}

export const SCRUBBED = '[secret]';

/**
 * The forms in which a value commonly comes back: as is, URL-encoded (an error naming the URL),
 * and JSON-escaped (a target echoing a request as JSON). Longest first, so a longer form is
 * replaced before a shorter one inside it.
 */
function forms(secret: string): string[] {
  const all = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...all].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}

/** Remove every secret value from a text. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) for (const form of forms(secret)) out = out.split(form).join(SCRUBBED);
  return out;
}

/** Remove every secret value from every string inside a value (keys included). */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (!secrets.length) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v, secrets);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubText(k, secrets), scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}

/** Does any string inside the value contain a secret (in any of its forms)? */
export function containsSecret(value: unknown, secrets: readonly string[]): boolean {
  let found = false;
  visitStrings(value, (s) => {
    if (secrets.some((secret) => forms(secret).some((f) => s.includes(f)))) found = true;
  });
  return found;
}

function visitStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => visitStrings(v, visit));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      visit(k);
      visitStrings(v, visit);
    }
}
