import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { CHANNELS } from '../domain/actor/actor.js';
import type { AuditSearchResult } from '../clients/opensearch/audit-query.js';
import { apiFor } from './api.js';
import { CliError, EXIT } from './errors.js';
import { info, printJson, table } from './output.js';
import { collect, positiveInt } from './parse.js';

/** The filters audit search and export share (the same names as the routes' query). */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--incident <id>', 'only this incident')
    .option('--actor <id>', 'only events by this person')
    .option('--type <type>', 'only this event type (repeatable)', collect)
    .option('--service <name>')
    .option('--environment <name>')
    .addOption(new Option('--channel <channel>', 'only inputs from this channel').choices(CHANNELS))
    .option('--from <time>', 'from this ISO 8601 time')
    .option('--to <time>', 'up to this ISO 8601 time');
}

function filters(o: Record<string, any>) {
  return {
    incident: o.incident,
    actor: o.actor,
    type: o.type,
    service: o.service,
    environment: o.environment,
    channel: o.channel,
    from: o.from,
    to: o.to,
  };
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('Search and export the audit trail');

  withFilters(
    audit
      .command('search')
      .description('Full-text search of decisions, opt-outs and everything that followed')
      .argument('[q]', 'words to find (reasons, summaries, names); "quoted phrases" work'),
  )
    .addOption(new Option('--sort <order>').choices(['relevance', 'newest', 'oldest']))
    .option('--limit <n>', 'events per page (1-200)', positiveInt)
    .addOption(new Option('--cursor <cursor>', 'continue from the page that printed it').conflicts('all'))
    .option('--all', 'follow the cursor to the last page')
    .option('--json', "print the API's JSON (with --all: {total, events} of every page)")
    .action(async (q: string | undefined, o, cmd: Command) => {
      const api = apiFor(cmd);
      const query = { q, ...filters(o), sort: o.sort, limit: o.limit };
      let page = await api.json<AuditSearchResult>('GET', '/v1/audit/search', {
        query: { ...query, cursor: o.cursor },
      });
      const events = [...page.events];
      // Each page after the first repeats the same filters: the gateway refuses a cursor replayed
      // with other ones.
      while (o.all && page.nextCursor && page.events.length) {
        page = await api.json<AuditSearchResult>('GET', '/v1/audit/search', {
          query: { ...query, cursor: page.nextCursor },
        });
        events.push(...page.events);
      }
      if (o.json) return printJson(o.all ? { total: page.total, events } : page);
      console.log(
        table(
          ['TIME', 'TYPE', 'ACTOR', 'CHANNEL', 'INCIDENT', 'SUMMARY'],
          events.map((e) => [
            e.time,
            e.type,
            e.actor.id,
            e.actor.channel,
            e.incidentId,
            e.reason ? `${e.summary} — ${e.reason}` : e.summary,
          ]),
        ),
      );
      info(`${events.length} of ${page.total} event(s)`);
      if (!o.all && page.nextCursor) info(`more: --cursor ${page.nextCursor}`);
    });

  withFilters(
    audit
      .command('export')
      .description('Stream every matching event as NDJSON or CSV')
      .argument('[q]', 'words to find'),
  )
    .addOption(new Option('--format <format>').choices(['ndjson', 'csv']).default('ndjson'))
    .addOption(new Option('--sort <order>').choices(['newest', 'oldest']))
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (q: string | undefined, o, cmd: Command) => {
      const res = await apiFor(cmd).send('GET', '/v1/audit/export', {
        query: { q, ...filters(o), format: o.format, sort: o.sort },
        stream: true,
      });
      if (!res.body) throw new CliError(EXIT.server, 'the gateway sent no body');
      // Streamed through: an export of a year of events never sits in memory.
      const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
      try {
        if (o.output) {
          await pipeline(source, fs.createWriteStream(o.output));
          info(`exported to ${o.output}`);
        } else await pipeline(source, process.stdout, { end: false });
      } catch (err) {
        throw new CliError(EXIT.server, `export interrupted: ${(err as Error).message}`);
      }
    });
}
