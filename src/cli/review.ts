import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { apiFor } from './api.js';
import { CliError, EXIT } from './errors.js';
import { info } from './output.js';

const FORMATS = ['md', 'json', 'pdf'] as const;
type Format = (typeof FORMATS)[number];
const BY_EXTENSION: Record<string, Format> = { '.md': 'md', '.json': 'json', '.pdf': 'pdf' };

export function registerReview(program: Command): void {
  program
    .command('review')
    .description(
      "An incident's review for its postmortem: decisions (who, channel, latencies, reasons, adjusted inputs, what followed), " +
        'requests, people notified who never answered, guardrail blocks, compensations, timeline',
    )
    .argument('<incident>', 'incident ID')
    .addOption(new Option('--format <format>', 'md (default), json, or pdf (pdf needs --out)').choices([...FORMATS]))
    .option('--out <file>', 'write to this file instead of stdout (its extension .md/.json/.pdf sets the format)')
    .action(async (incident: string, o: { format?: Format; out?: string }, cmd: Command) => {
      const format = o.format ?? (o.out ? BY_EXTENSION[path.extname(o.out).toLowerCase()] : undefined) ?? 'md';
      // A PDF on a terminal is noise, and on a pipe nobody asked for it by name.
      if (format === 'pdf' && !o.out) throw new CliError(EXIT.usage, 'a PDF needs --out <file.pdf>');
      const res = await apiFor(cmd).send('GET', `/v1/incidents/${encodeURIComponent(incident)}/review`, {
        query: { format },
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (!o.out) return void process.stdout.write(body);
      fs.writeFileSync(o.out, body);
      info(`wrote ${o.out} (${format}, ${body.length} bytes)`);
    });
}
