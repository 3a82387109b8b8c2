import v8 from 'node:v8';

/**
 * What one response held in the worker's sticky cache weighs: 2.4 MiB measured (a heap snapshot
 * of the workflow thread with 100 responses waiting for approval, 243 MiB), rounded up for the
 * responses that carry more (longer timelines, several approvals). Each cached workflow evaluates
 * every module it imports on its own (the SDK's reusable context isolates module state), zod's
 * schemas included, which is most of it.
 */
export const MIB_PER_CACHED_RESPONSE = 3;
/** What the workflow thread needs beside the cache (bundle, SDK, one activation's garbage). */
const THREAD_BASE_MIB = 256;

/**
 * How many workflows the worker keeps in memory between their tasks. Beyond it the least recently
 * used is evicted and replayed from its history on its next task: slower for that one task, never
 * wrong. The SDK's own default allows 600 per GiB of heap, sized for lighter workflows; with ours
 * that ran the workflow thread out of heap (ERR_WORKER_OUT_OF_MEMORY) at about 1,700 responses
 * waiting, and a worker whose workflow thread dies runs nothing until it is restarted.
 */
export function defaultMaxCachedWorkflows(heapLimitBytes = v8.getHeapStatistics().heap_size_limit): number {
  const heapMiB = heapLimitBytes / 2 ** 20;
  return Math.max(10, Math.floor((heapMiB - THREAD_BASE_MIB) / MIB_PER_CACHED_RESPONSE));
}
