import { InvalidArgumentError } from 'commander';

/** Commander argument parsers: a bad value is a usage error (exit 2) with commander's message. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return Number(value);
}

/** Repeatable `--opt a --opt b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Repeatable `name=value`, split at the first `=`. */
export function pair(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}
