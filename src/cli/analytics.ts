import { Command, InvalidArgumentError, Option } from 'commander';
import { GROUP_BY, type AnalyticsReport, type GroupMetrics, type Percentiles } from '../domain/analytics/report.js';
import { apiFor } from './api.js';
import { info, printJson, table } from './output.js';

function days(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 400)
    throw new InvalidArgumentError('a whole number of days from 1 to 400');
  return Number(value);
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);
const pair = (p: Percentiles) => (p.p50 === null ? '-' : `${seconds(p.p50)}/${seconds(p.p95)}`);
const label = (k: GroupMetrics['key']) =>
  k.step ? `${k.playbook}/${k.step}` : (k.playbook ?? k.action ?? k.service ?? k.team ?? 'total');

export function registerAnalytics(program: Command): void {
  program
    .command('analytics')
    .description(
      'How responses went per playbook, step, action, service or team, and what to change (suggestions only)',
    )
    .addOption(new Option('--group-by <what>', 'what each row is').choices(GROUP_BY).default('step'))
    .option('--from <time>', 'from this ISO 8601 time (default: 30 days before --to)')
    .option('--to <time>', 'up to this ISO 8601 time (default: now)')
    .addOption(new Option('--days <n>', 'the last N days (instead of --from)').argParser(days).conflicts('from'))
    .option('--playbook <id>', 'only this playbook')
    .option('--service <name>', 'only this service')
    .option('--team <name>', 'only this team')
    .option('--environment <name>', 'only this environment')
    .option('--json', "print the API's JSON")
    .action(async (o, cmd: Command) => {
      const to = o.to ?? (o.days ? new Date().toISOString() : undefined);
      const from = o.days ? new Date(Date.parse(to) - o.days * 86_400_000).toISOString() : o.from;
      const report = await apiFor(cmd).json<AnalyticsReport>('GET', '/v1/analytics', {
        query: {
          groupBy: o.groupBy,
          from,
          to,
          playbook: o.playbook,
          service: o.service,
          team: o.team,
          environment: o.environment,
        },
      });
      if (o.json) return printJson(report);
      const row = (g: GroupMetrics) => [
        label(g.key),
        g.responses,
        g.automatic,
        g.approved,
        g.rejected,
        g.optedOut,
        g.expired,
        g.escalations,
        g.adjusted,
        g.mitigated,
        g.compensations,
        `${g.killSwitchBlocks}/${g.guardrailBlocks}`,
        pair(g.approvalLatencyMs),
        pair(g.notifiedLatencyMs),
        pair(g.timeToMitigateMs),
      ];
      console.log(
        table(
          [
            o.groupBy.toUpperCase(),
            'RESP',
            'AUTO',
            'APPR',
            'REJ',
            'OPTOUT',
            'EXP',
            'ESC',
            'ADJ',
            'MITIG',
            'COMP',
            'KS/GR',
            'DECIDE p50/p95',
            'FROM-NOTICE p50/p95',
            'MITIGATE p50/p95',
          ],
          [...report.groups.map(row), row(report.total)],
        ),
      );
      info(`${report.query.from} to ${report.query.to}${report.truncated ? ' (only the largest groups)' : ''}`);
      for (const r of report.recommendations) console.log(`\n${r.message}\n  evidence: ${r.links.api}`);
      if (!report.recommendations.length) info('no recommendations');
    });
}
