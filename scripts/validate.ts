// npm run validate: check every configuration file and print every problem (exit 1 on any).
import { parseArgs } from 'node:util';
import { checkConfigFiles } from './check-config.js';

const { values } = parseArgs({
  options: {
    playbooks: { type: 'string', default: process.env.PLAYBOOKS_DIR ?? 'playbooks' },
    policy: { type: 'string', default: process.env.POLICY_FILE ?? 'config/policy.yaml' },
    guardrails: { type: 'string', default: process.env.GUARDRAILS_FILE ?? 'config/guardrails.yaml' },
    principals: { type: 'string', default: process.env.PRINCIPALS_FILE ?? 'config/principals.dev.yaml' },
    oncall: { type: 'string', default: process.env.ONCALL_FILE },
  },
});
const { checked, problems } = checkConfigFiles({
  playbooksDir: values.playbooks,
  policyFile: values.policy,
  guardrailsFile: values.guardrails,
  principalsFile: values.principals,
  oncallFile: values.oncall,
});
for (const line of problems) console.error(line);
console.log(
  problems.length
    ? `${problems.length} problem(s) in the configuration (${checked.length} files checked)`
    : `configuration valid: ${checked.join(', ')}`,
);
process.exit(problems.length ? 1 : 0);
