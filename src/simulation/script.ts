import { z } from 'zod';
import { durationSchema } from '../domain/playbook/duration.js';
import { OPT_OUT_MODES } from '../domain/response/inputs.js';
import { readConfigFile } from '../clients/config/catalog.js';
import { validateConfig } from '../clients/config/yaml-source.js';

/**
 * What the people in a simulated incident do, as a small file (YAML or JSON):
 *
 *   people:
 *     - { who: bob, does: approve, step: restart-replica, after: 3m, reason: lag confirmed }
 *     - { who: alice, does: opt-out, when: step-started, step: restart-replica, reason: by hand }
 *
 * Anyone not listed never answers. Triggers:
 * - `paged` (approve, reject): `after` the person is first told about a request for `step` (any
 *   step when omitted): asked, reminded or escalated to.
 * - `opened`: `after` the response opened.
 * - `step-started`: while `step` runs (a step takes no simulated time, so `after` must be 0).
 */
const reasonField = z.string().trim().min(3, 'a reason of at least 3 characters').max(2000).optional();
const stepId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a step id (lower-case letters, digits and dashes)');

export const scriptedActionSchema = z
  .object({
    who: z.string().min(1).max(200),
    does: z.enum(['approve', 'reject', 'opt-out', 'opt-in']),
    when: z.enum(['paged', 'opened', 'step-started']).optional(),
    step: stepId.optional(),
    after: durationSchema.optional(),
    reason: reasonField,
    /** Adjusted inputs at approval, within the step's bounds. */
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** opt-out: the whole response (default) or only `step`. */
    scope: z.enum(['response', 'step']).optional(),
    mode: z.enum(OPT_OUT_MODES).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const when = a.when ?? defaultWhen(a);
    const decides = a.does === 'approve' || a.does === 'reject';
    if (when === 'paged' && !decides)
      ctx.addIssue({ code: 'custom', path: ['when'], message: `"paged" triggers approve or reject, not ${a.does}` });
    if (when === 'step-started' && !a.step)
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'name the step whose start triggers this' });
    if (when === 'step-started' && a.after)
      ctx.addIssue({
        code: 'custom',
        path: ['after'],
        message: 'a step runs in no simulated time: act during it without "after"',
      });
    if (a.set && a.does !== 'approve')
      ctx.addIssue({ code: 'custom', path: ['set'], message: 'only an approval adjusts inputs' });
    if ((a.scope || a.mode) && a.does !== 'opt-out')
      ctx.addIssue({
        code: 'custom',
        path: [a.scope ? 'scope' : 'mode'],
        message: 'only an opt-out has a scope or mode',
      });
    if (a.scope === 'step' && !a.step)
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'an opt-out of a step names the step' });
  });
export type ScriptedAction = z.infer<typeof scriptedActionSchema>;

export const peopleScriptSchema = z
  .object({
    /** Free text shown in the report. */
    description: z.string().optional(),
    people: z.array(scriptedActionSchema).default([]),
  })
  .strict();
export type PeopleScript = z.infer<typeof peopleScriptSchema>;

export function defaultWhen(a: Pick<ScriptedAction, 'when' | 'does' | 'step'>): 'paged' | 'opened' | 'step-started' {
  if (a.when) return a.when;
  if (a.does === 'approve' || a.does === 'reject') return 'paged';
  return a.step && a.does === 'opt-out' ? 'step-started' : 'opened';
}

/** Parse a script (YAML, which JSON is too); a bad one is a ConfigFileError naming file, field and line. */
export function parsePeopleScript(source: string, file: string): PeopleScript {
  return validateConfig(peopleScriptSchema, source, file, { empty: {} });
}

export function loadPeopleScript(file: string): PeopleScript {
  return parsePeopleScript(readConfigFile(file), file);
}
