import type { Command } from 'commander';
import { checkConfigFiles } from '../clients/config/check-files.js';
import { CliError, EXIT } from './errors.js';
import { info, printJson } from './output.js';

/** Offline: the same checks as `npm run validate` (src/clients/config/check-files.ts); no gateway needed. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check playbooks, policy, guardrails (and optionally principals, on-call) files offline')
    .option('--playbooks <dir>', 'playbook directory', process.env.PLAYBOOKS_DIR ?? 'playbooks')
    .option('--policy <file>', 'policy file', process.env.POLICY_FILE ?? 'config/policy.yaml')
    .option(
      '--guardrails <file>',
      'standing guardrails (skipped when absent)',
      process.env.GUARDRAILS_FILE ?? 'config/guardrails.yaml',
    )
    .option('--principals <file>', 'principals file (checked only when given)')
    .option('--oncall <file>', 'on-call rotation (checked only when given)', process.env.ONCALL_FILE)
    .option('--json', 'print {valid, checked, problems} as JSON')
    .action((o) => {
      const result = checkConfigFiles({
        playbooksDir: o.playbooks,
        policyFile: o.policy,
        guardrailsFile: o.guardrails,
        principalsFile: o.principals,
        oncallFile: o.oncall,
      });
      const problems = result.located;
      if (o.json) printJson({ valid: problems.length === 0, checked: result.checked, problems });
      else {
        // `file:line: message`, the form editors and CI annotations jump to.
        for (const p of problems)
          console.log(
            `${p.file ? `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`,
          );
        info(
          problems.length
            ? `${problems.length} problem(s) (${result.checked.length} checked)`
            : `valid: ${result.checked.join(', ')}`,
        );
      }
      if (problems.length) throw new CliError(EXIT.refused, '');
    });
}
