import { Command, Option } from 'commander';
import { OPT_OUT_MODES } from '../domain/response/inputs.js';
import { SETTLE_CHOICES } from '../domain/response/status.js';
import { apiFor } from './api.js';
import { printJson } from './output.js';

/** Inputs that make automation safer or hand it back: opt out, opt in, settle a lost mitigation, emergency stop. */
export function registerInterventions(program: Command): void {
  program
    .command('opt-out')
    .description('Opt out of the response (default), one step or one action type')
    .argument('<id>', 'incident ID')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .addOption(new Option('--step <stepId>', 'only this step').conflicts('action'))
    .addOption(new Option('--action <action>', 'only steps of this action type, e.g. http.request'))
    .addOption(
      new Option('--mode <mode>', 'what happens to the running step').choices(OPT_OUT_MODES).default('halt-now'),
    )
    .option('--json', "print the API's JSON")
    .action(async (id: string, o, cmd: Command) => {
      const scope = o.step
        ? { kind: 'step', stepId: o.step }
        : o.action
          ? { kind: 'action', action: o.action }
          : { kind: 'response' };
      const result = await apiFor(cmd).json<{ optOut: { id: string; mode: string } }>(
        'POST',
        `/v1/incidents/${encodeURIComponent(id)}/opt-out`,
        { body: { reason: o.reason, scope, mode: o.mode }, idempotent: true },
      );
      if (o.json) return printJson(result);
      console.log(`opted out (${result.optOut.mode}): ${result.optOut.id}`);
    });

  program
    .command('opt-in')
    .description('Release opt-outs (all active ones, or one): automation resumes where it was')
    .argument('<id>', 'incident ID')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--opt-out <optOutId>', 'release only this opt-out')
    .option('--json', "print the API's JSON")
    .action(async (id: string, o, cmd: Command) => {
      const result = await apiFor(cmd).json<{ released: unknown }>(
        'POST',
        `/v1/incidents/${encodeURIComponent(id)}/opt-in`,
        { body: { reason: o.reason, ...(o.optOut ? { optOutId: o.optOut } : {}) }, idempotent: true },
      );
      if (o.json) return printJson(result);
      const released = (Array.isArray(result.released) ? result.released : []) as Array<{ id: string }>;
      console.log(
        released.length
          ? `released ${released.map((x) => x.id).join(', ')}; automation resumes`
          : 'nothing to release: no active opt-out matched',
      );
    });

  program
    .command('settle')
    .description(
      'A mitigation whose effect is unknown (its worker was lost): retry it, mark it done, or hand the response over',
    )
    .argument('<id>', 'incident ID')
    .argument('<stepId>', 'the step waiting for a person (see `interlock incidents show`)')
    .addOption(new Option('--choice <choice>', 'what to do').choices(SETTLE_CHOICES).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', "print the API's JSON")
    .action(async (id: string, stepId: string, o, cmd: Command) => {
      const result = await apiFor(cmd).json<{ settled: { stepId: string; state: string } }>(
        'POST',
        `/v1/incidents/${encodeURIComponent(id)}/steps/${encodeURIComponent(stepId)}/settle`,
        { body: { choice: o.choice, reason: o.reason } },
      );
      if (o.json) return printJson(result);
      console.log(`${result.settled.stepId}: ${result.settled.state}`);
    });

  program
    .command('stop')
    .description('Emergency stop: interrupt the running step, compensate, end the response as cancelled')
    .argument('<id>', 'incident ID')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', "print the API's JSON")
    .action(async (id: string, o, cmd: Command) => {
      const result = await apiFor(cmd).json('POST', `/v1/incidents/${encodeURIComponent(id)}/cancel`, {
        body: { reason: o.reason },
      });
      if (o.json) return printJson(result);
      console.log(`stop requested for ${id}; follow it with: interlock incidents watch ${id}`);
    });
}
