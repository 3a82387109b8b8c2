import type { Command } from 'commander';
import { checkInputs, type InputSpec } from '../domain/playbook/playbook.js';
import type { ApprovalRequest, ResponseStatus } from '../domain/response/status.js';
import { apiFor, type Api } from './api.js';
import { CliError, EXIT } from './errors.js';
import { info, printJson } from './output.js';
import { pair } from './parse.js';
import { specText } from './show.js';

export function registerDecisions(program: Command): void {
  program
    .command('approve')
    .description("Approve a pending request, optionally adjusting the step's inputs")
    .argument('<id>', 'incident ID')
    .argument('<approvalId>', 'approval request ID (see `interlock incidents show`)')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--set <name=value>', 'adjust a declared input, typed by the step (repeatable)', pair)
    .option('--json', "print the API's JSON")
    .action(async (id: string, approvalId: string, o: DecideOptions, cmd: Command) => {
      await decide(apiFor(cmd), id, approvalId, 'approve', o);
    });
  program
    .command('reject')
    .description('Reject a pending request (or object to an objection window)')
    .argument('<id>', 'incident ID')
    .argument('<approvalId>', 'approval request ID')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', "print the API's JSON")
    .action(async (id: string, approvalId: string, o: DecideOptions, cmd: Command) => {
      await decide(apiFor(cmd), id, approvalId, 'reject', o);
    });
}

interface DecideOptions {
  reason: string;
  set?: Array<[string, string]>;
  json?: boolean;
}

async function decide(api: Api, id: string, approvalId: string, decision: 'approve' | 'reject', o: DecideOptions) {
  const path = `/v1/incidents/${encodeURIComponent(id)}`;
  let inputs: Record<string, string | number | boolean> | undefined;
  if (o.set?.length) {
    // The status view carries the step's input declarations, so values are typed here and a typo
    // is caught before it reaches the workflow (which checks the bounds again itself).
    const status = await api.json<ResponseStatus>('GET', path);
    const approval = status.approvals.find((a) => a.id === approvalId);
    if (!approval) throw new CliError(EXIT.notFound, `not found: no approval request ${approvalId} on ${id}`);
    inputs = typedInputs(approval, o.set);
  }
  const result = await api.json<ApprovalRequest>('POST', `${path}/approvals/${encodeURIComponent(approvalId)}`, {
    body: { decision, reason: o.reason, ...(inputs ? { inputs } : {}) },
    idempotent: true,
  });
  if (o.json) return printJson(result);
  const yes = result.decisions.filter((d) => d.decision === 'approve').length;
  console.log(
    `${decision}d ${approvalId}: request is ${result.state} (${yes} of ${result.approversRequired} approvals)`,
  );
  if (inputs)
    info(
      `with inputs ${Object.entries(inputs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
}

/** `--set name=value` pairs as the step declares them: integer, number, boolean or string. */
export function typedInputs(approval: ApprovalRequest, pairs: Array<[string, string]>) {
  const specs = (approval.context.adjustable ?? {}) as Record<string, InputSpec>;
  const values: Record<string, string | number | boolean> = {};
  const problems: string[] = [];
  for (const [name, text] of pairs) {
    const spec = specs[name];
    if (!spec) {
      problems.push(
        `${name}: not an adjustable input of ${approval.stepId} (adjustable: ${Object.keys(specs).join(', ') || 'none'})`,
      );
      continue;
    }
    const value = parseValue(spec, text);
    if (value === undefined) problems.push(`${name}: "${text}" is not ${article(spec)} (${specText(spec)})`);
    else values[name] = value;
  }
  problems.push(...checkInputs(specs, values));
  if (problems.length) throw new CliError(EXIT.refused, `invalid input: ${problems.join('; ')}`);
  return values;
}

function parseValue(spec: InputSpec, text: string): string | number | boolean | undefined {
  const t = text.trim();
  switch (spec.type) {
    case 'integer':
      return /^[-+]?\d+$/.test(t) ? Number(t) : undefined;
    case 'number':
      return t !== '' && Number.isFinite(Number(t)) ? Number(t) : undefined;
    case 'boolean':
      return /^(true|yes|on)$/i.test(t) ? true : /^(false|no|off)$/i.test(t) ? false : undefined;
    default:
      return text;
  }
}

const article = (spec: InputSpec) => (spec.type === 'integer' ? 'an integer' : `a ${spec.type}`);
