import { describe, expect, it } from 'vitest';
import { defaultMaxCachedWorkflows, MIB_PER_CACHED_RESPONSE } from '../../src/worker/workflow-cache.js';

const MiB = 2 ** 20;

describe("the worker's workflow cache", () => {
  it('fits the heap it is given, at the measured weight of a waiting response', () => {
    for (const heapMiB of [1024, 2048, 4144, 8192, 16384]) {
      const n = defaultMaxCachedWorkflows(heapMiB * MiB);
      expect(n * MIB_PER_CACHED_RESPONSE).toBeLessThan(heapMiB);
      // Not needlessly small either: at least two thirds of the heap may hold responses.
      expect(n * MIB_PER_CACHED_RESPONSE).toBeGreaterThan((heapMiB * 2) / 3);
    }
  });

  it("stays below the SDK's own default, which ran the workflow thread out of heap", () => {
    // @temporalio/worker's default with a reused V8 context: 600 per GiB above 200 MiB.
    const sdkDefault = (heapMiB: number) => Math.floor(((heapMiB - 200) * 600) / 1024);
    expect(defaultMaxCachedWorkflows(4144 * MiB)).toBeLessThan(sdkDefault(4144));
    expect(defaultMaxCachedWorkflows(4144 * MiB)).toBe(1296);
  });

  it('keeps a working cache on a tiny heap', () => {
    expect(defaultMaxCachedWorkflows(64 * MiB)).toBe(10);
  });
});
