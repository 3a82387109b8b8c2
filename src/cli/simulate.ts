import fs from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../config/env.js';
import { CliError, EXIT } from './errors.js';
import { info, printJson } from './output.js';

/**
 * Offline, like `validate`, and the one command that is not on the HTTP API: it runs the real
 * workflow on a time-skipping server of its own (src/simulation), so nothing reaches a gateway,
 * OpenSearch, a person or a target.
 */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run a playbook against an alert with scripted people, offline on a time-skipping Temporal server')
    .requiredOption('--playbook <file>', 'the playbook (YAML)')
    .requiredOption('--alert <file>', 'the alert fixture (JSON: an Alertmanager webhook or a generic alert)')
    .option('--script <file>', 'what people do (YAML or JSON, see examples/simulation); nobody answers without one')
    .option('--at <time>', 'when the incident starts, e.g. 2026-12-05T03:00:00Z (default: now)')
    .option('--roster <file>', 'the on-call rotation file', process.env.ONCALL_FILE)
    .option(
      '--principals <file>',
      'who people are (roles, groups)',
      process.env.PRINCIPALS_FILE ?? 'config/principals.dev.yaml',
    )
    .option('--policy <file>', 'the policy file', process.env.POLICY_FILE ?? 'config/policy.yaml')
    .option(
      '--guardrails <file>',
      'standing guardrail rules (skipped when absent)',
      process.env.GUARDRAILS_FILE ?? 'config/guardrails.yaml',
    )
    .option('--horizon <duration>', 'stop a response still open after this much simulated time', '24h')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const { loadScenario, simulate, renderReport } = await import('../simulation/index.js');
      let scenario;
      try {
        scenario = loadScenario({
          playbook: o.playbook,
          alert: o.alert,
          script: o.script,
          at: o.at,
          roster: o.roster,
          principals: o.principals,
          policy: o.policy,
          guardrails: o.guardrails && fs.existsSync(o.guardrails) ? o.guardrails : undefined,
          horizon: o.horizon,
        });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(EXIT.refused, `invalid input:\n${err.message}`);
        throw err;
      }
      if (!o.json) info('simulating on a time-skipping Temporal server...');
      // WORKFLOW_BUNDLE_PATH: a bundle built beforehand, as for the worker (otherwise cached per source version).
      const report = await simulate(scenario, { log: info, workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH });
      if (o.json) printJson(report);
      else console.log(renderReport(report));
      // A failed policy check fails the command, so a CI job running it fails too.
      if (!report.passed)
        throw new CliError(EXIT.refused, `simulation failed: ${report.violations.length} policy violation(s)`);
    });
}
