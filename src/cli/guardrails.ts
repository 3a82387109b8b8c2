import { Argument, Command, Option } from 'commander';
import ms from 'ms';
import type { Controls } from '../domain/guardrails/controls.js';
import { apiFor } from './api.js';
import { CliError, EXIT } from './errors.js';
import { kv, printJson, table } from './output.js';
import { pair } from './parse.js';

export function registerGuardrails(program: Command): void {
  program
    .command('kill-switch')
    .description('Engage (on) or release (off) the global kill switch')
    .addArgument(new Argument('<state>', 'on engages it, off releases it').choices(['on', 'off']))
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--allow-diagnostics', 'let read-only diagnostics keep running (the API default)')
    .option('--no-allow-diagnostics', 'stop diagnostics too')
    .option('--json', "print the API's JSON")
    .action(async (state: 'on' | 'off', o, cmd: Command) => {
      const api = apiFor(cmd);
      const controls =
        state === 'on'
          ? await api.json<Controls>('POST', '/v1/guardrails/kill-switch', {
              body: {
                reason: o.reason,
                ...(o.allowDiagnostics === undefined ? {} : { allowDiagnostics: o.allowDiagnostics }),
              },
              idempotent: true,
            })
          : await api.json<Controls>('DELETE', '/v1/guardrails/kill-switch', {
              body: { reason: o.reason },
              idempotent: true,
            });
      if (o.json) return printJson(controls);
      const k = controls.killSwitch;
      console.log(
        k.engaged
          ? `kill switch ENGAGED${k.allowDiagnostics ? ' (diagnostics still run)' : ' (diagnostics stopped too)'}`
          : 'kill switch released: responses continue',
      );
    });

  const pause = program.command('pause').description('Scoped pauses: stop automation for a selector');
  pause
    .command('ls')
    .description('List the pauses in force')
    .option('--json', "print the API's JSON")
    .action(async (o, cmd: Command) => {
      const body = await apiFor(cmd).json<{ pauses: Controls['pauses'] }>('GET', '/v1/guardrails/pauses');
      if (o.json) return printJson(body);
      console.log(
        table(
          ['PAUSE', 'SELECTOR', 'BY', 'EXPIRES', 'REASON'],
          body.pauses.map((p) => [p.id, kv(p.selector), p.actor.id, p.expiresAt ?? 'never', p.reason]),
        ),
      );
    });
  pause
    .command('add')
    .description('Pause automation for everything that matches the selector (admins)')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--service <name>')
    .option('--environment <name>')
    .option('--action <action>', 'an action type, e.g. http.request')
    .option('--severity <level>')
    .option('--playbook <id>')
    .option('--label <name=value>', 'an alert label (repeatable)', pair)
    .addOption(new Option('--until <time>', 'lift it by itself at this ISO 8601 time').conflicts('for'))
    .option('--for <duration>', 'lift it by itself after this long, e.g. 30m, 2h')
    .option('--json', "print the API's JSON")
    .action(async (o, cmd: Command) => {
      const selector = {
        service: o.service,
        environment: o.environment,
        action: o.action,
        severity: o.severity,
        playbook: o.playbook,
        ...(o.label ? { labels: Object.fromEntries(o.label as Array<[string, string]>) } : {}),
      };
      const expiresAt = o.until ?? (o.for ? new Date(Date.now() + duration(o.for)).toISOString() : undefined);
      const controls = await apiFor(cmd).json<Controls>('POST', '/v1/guardrails/pauses', {
        body: { selector, reason: o.reason, ...(expiresAt ? { expiresAt } : {}) },
        idempotent: true,
      });
      if (o.json) return printJson(controls);
      const added = controls.pauses[controls.pauses.length - 1];
      console.log(`paused ${added ? `${added.id} (${kv(added.selector)})` : ''}`.trim());
    });
  pause
    .command('rm')
    .description('Lift a pause (admins)')
    .argument('<pauseId>', 'the pause ID (see `interlock pause ls`)')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', "print the API's JSON")
    .action(async (pauseId: string, o, cmd: Command) => {
      const controls = await apiFor(cmd).json<Controls>(
        'DELETE',
        `/v1/guardrails/pauses/${encodeURIComponent(pauseId)}`,
        { body: { reason: o.reason }, idempotent: true },
      );
      if (o.json) return printJson(controls);
      console.log(`lifted ${pauseId}`);
    });
}

function duration(text: string): number {
  const value = ms(text as ms.StringValue);
  if (typeof value !== 'number' || !(value > 0))
    throw new CliError(EXIT.usage, `--for: not a duration: "${text}" (e.g. 30m, 2h)`);
  return value;
}
