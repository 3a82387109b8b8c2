import type { z } from 'zod';
import { describeIssues } from '../domain/response/inputs.js';
import { HttpError } from './errors.js';

export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new HttpError(
      400,
      'invalid_request',
      `invalid ${what}: ${describeIssues(parsed.error)}`,
      parsed.error.issues,
    );
  return parsed.data;
}
