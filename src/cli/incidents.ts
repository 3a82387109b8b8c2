import { Command, Option } from 'commander';
import { RESPONSE_PHASES } from '../contracts/phases.js';
import type { AuditEvent } from '../domain/audit/event.js';
import { isDryRunId } from '../domain/incident/incident-id.js';
import type { ResponseStatus } from '../domain/response/status.js';
import { apiFor } from './api.js';
import { positiveInt } from './parse.js';
import { printJson, table } from './output.js';
import { describeStatus } from './show.js';
import { watch } from './watch.js';

export function registerIncidents(program: Command): void {
  const incidents = program.command('incidents').description('List, inspect and follow responses');

  incidents
    .command('ls')
    .description('List responses (the same filters as GET /v1/incidents)')
    .option('--service <name>', 'only this service')
    .option('--environment <name>', 'only this environment')
    .option('--severity <level>', 'only this severity')
    .addOption(new Option('--phase <phase>', 'only responses in this phase').choices(RESPONSE_PHASES))
    .option('--open', 'only responses still running')
    .option('--closed', 'only responses that have ended')
    .option('--awaiting-approval', 'only responses waiting for an approval')
    .option('--limit <n>', 'at most this many (1-200)', positiveInt, 50)
    .option('--json', "print the API's JSON")
    .action(async (o, cmd: Command) => {
      const body = await apiFor(cmd).json<{ incidents: Array<Record<string, unknown>> }>('GET', '/v1/incidents', {
        query: {
          service: o.service,
          environment: o.environment,
          severity: o.severity,
          phase: o.phase,
          open: o.open ? 'true' : o.closed ? 'false' : undefined,
          awaitingApproval: o.awaitingApproval ? 'true' : undefined,
          limit: o.limit,
        },
      });
      if (o.json) return printJson(body);
      const rows = body.incidents.map((i) => [
        isDryRunId(String(i.incidentId)) ? `${String(i.incidentId)} (DRY RUN)` : i.incidentId,
        i.phase,
        i.status,
        i.service,
        i.environment,
        i.severity,
        i.awaitingApproval ? 'yes' : 'no',
        i.startTime,
      ]);
      console.log(table(['INCIDENT', 'PHASE', 'STATUS', 'SERVICE', 'ENV', 'SEVERITY', 'AWAITING', 'STARTED'], rows));
    });

  incidents
    .command('show')
    .description('A readable summary: phase, steps, pending approvals, opt-outs, blockers')
    .argument('<id>', 'incident ID')
    .option('--json', "print the API's JSON (the status view)")
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const status = await apiFor(cmd).json<ResponseStatus>('GET', `/v1/incidents/${encodeURIComponent(id)}`);
      if (o.json) return printJson(status);
      console.log(describeStatus(status));
    });

  incidents
    .command('timeline')
    .description('The audit trail of a response, a page at a time (newest page first, oldest event first)')
    .argument('<id>', 'incident ID')
    .option('--limit <n>', 'events per page (1-1000)', positiveInt, 50)
    .option('--before <cursor>', 'the page before this one (the cursor the previous page printed)')
    .option('--json', "print the API's JSON")
    .action(async (id: string, o: { limit: number; before?: string; json?: boolean }, cmd: Command) => {
      const page = await apiFor(cmd).json<TimelinePageBody>('GET', `/v1/incidents/${encodeURIComponent(id)}/timeline`, {
        query: { limit: String(o.limit), before: o.before },
      });
      if (o.json) return printJson(page);
      const rows = page.events.map((e) => [String(e.sequence), e.time, e.type, e.actor.name, e.summary]);
      console.log(table(['SEQ', 'TIME', 'TYPE', 'ACTOR', 'SUMMARY'], rows));
      console.log(
        `${page.events.length} of ${page.total} events` +
          (page.nextBefore ? `; older: interlock incidents timeline ${id} --before ${page.nextBefore}` : ''),
      );
    });

  incidents
    .command('watch')
    .description('Follow a response live: one line per change; exits 0 when the response ends (Ctrl-C: 130)')
    .argument('<id>', 'incident ID')
    .option('--interval <ms>', 'how often to poll the status route', positiveInt, 1000)
    .option('--json', 'print each changed status view as one JSON line')
    .action(async (id: string, o: { interval: number; json?: boolean }, cmd: Command) => {
      await watch(apiFor(cmd), id, o);
    });
}

interface TimelinePageBody {
  events: AuditEvent[];
  total: number;
  nextBefore?: string;
}
