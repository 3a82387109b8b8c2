import { z } from 'zod';
import { principalsFileSchema } from '../src/api/auth/principals.js';
import { guardrailsFileSchema } from '../src/domain/guardrails/controls.js';
import { playbookSchema } from '../src/domain/playbook/playbook.js';
import { policySchema } from '../src/domain/policy/policy.js';
import { rotationFileSchema } from '../src/domain/oncall/rotation.js';

/**
 * JSON Schemas of the configuration files, generated from the same zod schemas that validate
 * them (so they cannot drift), for editors: YAML language servers complete and check fields
 * with them. Cross-field rules (an input's default within its bounds, placeholders naming
 * declared inputs) are not expressible there: `npm run validate` checks everything.
 */
export const CONFIG_SCHEMAS = {
  playbook: { schema: playbookSchema, title: 'Interlock playbook (playbooks/*.yaml)' },
  policy: { schema: policySchema, title: 'Interlock policy (config/policy.yaml)' },
  guardrails: { schema: guardrailsFileSchema, title: 'Interlock standing guardrails (config/guardrails.yaml)' },
  principals: { schema: principalsFileSchema, title: 'Interlock principals (config/principals*.yaml)' },
  oncall: { schema: rotationFileSchema, title: 'Interlock on-call rotation (ONCALL_FILE)' },
} as const;

export const SCHEMAS_DIR = new URL('../schemas/', import.meta.url);

/** Each schema's file name and its JSON text, as `npm run schemas` writes them. */
export function configSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(CONFIG_SCHEMAS).map(([name, { schema, title }]) => [
      `${name}.schema.json`,
      // `input`: what a person writes (defaults optional), not what the parser returns.
      JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2) + '\n',
    ]),
  );
}
