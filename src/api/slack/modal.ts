import type { KnownBlock, View } from '@slack/web-api';
import type { InputSpec } from '../../domain/playbook/playbook.js';
import type { ApprovalRequest } from '../../domain/response/status.js';

export const DECIDE_CALLBACK = 'interlock.decide';

export type SlackChoice = 'approve' | 'reject' | 'opt-out';

/** What the modal remembers between the click and the submission (Slack hands it back as is). */
export interface ModalMetadata {
  incidentId: string;
  approvalId: string;
  stepId: string;
  choice: SlackChoice;
  /** Where the click came from, for ephemeral answers. */
  channel?: string;
}

const plain = (text: string, max: number) => ({ type: 'plain_text' as const, text: text.slice(0, max) });

/**
 * The modal a click opens: a reason is required for every choice (as through every other
 * channel); Approve may adjust the step's declared inputs within their bounds; Opt out chooses
 * the step or the whole response.
 */
export function decisionModal(meta: ModalMetadata, approval: ApprovalRequest, adjust: boolean): View {
  const title = { approve: 'Approve', reject: 'Reject', 'opt-out': 'Opt out' }[meta.choice];
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${approval.context.title}*\n${approval.stepId}: \`${approval.context.action}\`${approval.context.impact ? `\n${approval.context.impact}` : ''}`.slice(
          0,
          3000,
        ),
      },
    },
  ];
  if (meta.choice === 'opt-out')
    blocks.push({
      type: 'input',
      block_id: 'scope',
      label: plain('Opt out of', 2000),
      element: {
        type: 'static_select',
        action_id: 'value',
        initial_option: { text: plain(`This step (${approval.stepId})`, 75), value: 'step' },
        options: [
          { text: plain(`This step (${approval.stepId})`, 75), value: 'step' },
          { text: plain('The whole response', 75), value: 'response' },
        ],
      },
    });
  if (adjust && meta.choice === 'approve')
    for (const [name, spec] of Object.entries(approval.context.adjustable as Record<string, InputSpec>))
      blocks.push(inputBlock(name, spec, approval.inputs[name]));
  blocks.push({
    type: 'input',
    block_id: 'reason',
    label: plain('Reason (recorded in the audit trail)', 2000),
    element: { type: 'plain_text_input', action_id: 'value', multiline: true, min_length: 3, max_length: 2000 },
  });
  return {
    type: 'modal',
    callback_id: DECIDE_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain(title, 24),
    submit: plain(title, 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

/** One adjustable input, with its bounds shown and enforced where Slack can (the workflow checks again). */
function inputBlock(name: string, spec: InputSpec, current: unknown): KnownBlock {
  const label = plain(`${name}${'description' in spec && spec.description ? ` (${spec.description})` : ''}`, 2000);
  const block_id = `input:${name}`;
  if (spec.type === 'integer' || spec.type === 'number')
    return {
      type: 'input',
      block_id,
      label,
      optional: true,
      hint: plain(bounds(spec), 2000),
      element: {
        type: 'number_input',
        action_id: 'value',
        is_decimal_allowed: spec.type === 'number',
        initial_value: String(current ?? spec.default),
        ...(spec.min !== undefined ? { min_value: String(spec.min) } : {}),
        ...(spec.max !== undefined ? { max_value: String(spec.max) } : {}),
      },
    };
  if (spec.type === 'boolean' || (spec.type === 'string' && spec.enum)) {
    const values = spec.type === 'boolean' ? ['true', 'false'] : spec.enum!;
    const initial = String(current ?? spec.default);
    return {
      type: 'input',
      block_id,
      label,
      optional: true,
      element: {
        type: 'static_select',
        action_id: 'value',
        options: values.map((v) => ({ text: plain(v, 75), value: v.slice(0, 150) })),
        ...(values.includes(initial) ? { initial_option: { text: plain(initial, 75), value: initial } } : {}),
      },
    };
  }
  return {
    type: 'input',
    block_id,
    label,
    optional: true,
    ...(spec.type === 'string' && spec.pattern ? { hint: plain(`must match ${spec.pattern}`, 2000) } : {}),
    element: { type: 'plain_text_input', action_id: 'value', initial_value: String(current ?? spec.default) },
  };
}

function bounds(spec: { min?: number; max?: number }): string {
  if (spec.min !== undefined && spec.max !== undefined) return `between ${spec.min} and ${spec.max}`;
  if (spec.min !== undefined) return `at least ${spec.min}`;
  if (spec.max !== undefined) return `at most ${spec.max}`;
  return 'any value';
}

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

/** The reason, scope and adjusted inputs from a submitted modal, typed by the step's input specs. */
export function readSubmission(
  values: StateValues,
  adjustable: Record<string, InputSpec>,
): { reason: string; scope: 'step' | 'response'; inputs?: Record<string, unknown> } {
  const field = (block: string) => values[block]?.value;
  const reason = (field('reason')?.value ?? '').trim();
  const scope = field('scope')?.selected_option?.value === 'response' ? 'response' : 'step';
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(adjustable)) {
    const raw = field(`input:${name}`);
    const text = raw?.selected_option?.value ?? raw?.value;
    if (text === undefined || text === null || text === '') continue;
    inputs[name] =
      spec.type === 'integer' || spec.type === 'number'
        ? Number(text)
        : spec.type === 'boolean'
          ? text === 'true'
          : text;
  }
  return { reason, scope, ...(Object.keys(inputs).length ? { inputs } : {}) };
}
