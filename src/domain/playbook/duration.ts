import { z } from 'zod';
import ms from 'ms';

/** "500ms", "30s", "15m", "2h" in playbooks; stored as milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like "500ms", "30s", "15m" or "2h"')
  .transform((value) => ms(value as ms.StringValue))
  .refine((n) => n > 0, 'must be greater than zero');
