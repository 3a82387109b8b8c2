import { guardrailsBatch } from './guardrails-batch.js';
import type { BenchSuite } from '../context.js';

export const guardrailsSuite: BenchSuite = {
  description:
    'kill switch over N responses each in a long mitigation: time until the last is interrupted, and late starts',
  run: guardrailsBatch,
};
