import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigFileError, type ConfigProblem } from './config-file-error.js';

/**
 * Parse a configuration file's YAML keeping positions, and validate it with its schema so that
 * every problem (every YAML error, every schema issue, not only the first) is reported with the
 * line it is on: the schema's issue paths are looked up in the parsed document.
 */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  source: string,
  file: string,
  options: { empty?: unknown } = {},
): z.infer<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter });
  if (doc.errors.length)
    throw new ConfigFileError(
      file,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0].line,
        // The first line of the pretty message, without its " at line L, column C:" (we say the line).
        message: `not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  const value = doc.toJS() ?? options.empty;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigFileError(file, problemsOf(parsed.error, doc, lineCounter));
}

function problemsOf(error: z.ZodError, doc: Document, lines: LineCounter): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys')
      // One problem per unknown key, on the key's own line.
      return issue.keys.map((key) => ({
        path: [...path, key].join('.'),
        line: lineOf(doc, lines, [...issue.path, key], true),
        message: `unknown field "${key}"`,
      }));
    return [{ path: path.join('.'), line: lineOf(doc, lines, issue.path), message: issue.message }];
  });
}

/**
 * The line of the node at `path`; for a missing field, the line of the nearest enclosing node
 * that exists (where it should be added). With `key`, the line of the last key itself.
 */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[], key = false): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    if (key && depth === path.length && depth > 0) {
      const parent = doc.getIn(prefix.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(prefix.at(-1)));
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return lines.linePos(range[0]).line;
      }
      continue;
    }
    const node = depth === 0 ? doc.contents : doc.getIn(prefix, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}
