import type { StackAddresses } from '../test/support/interlock.js';

/** What every suite gets: the running stack (started or reused like the tests do) and its options. */
export interface BenchContext {
  stack: StackAddresses;
  iterations?: number;
}

export interface BenchSuite {
  description: string;
  run(ctx: BenchContext): Promise<void>;
}
