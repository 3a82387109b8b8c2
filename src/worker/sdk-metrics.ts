import net from 'node:net';
import type { MetricsExporterConfig } from '@temporalio/worker';
import { RESPONSE_METRICS } from '../contracts/metrics.js';

/**
 * The Temporal SDK's own metrics (polls, task latencies, slots, sticky cache, activity and
 * workflow outcomes) and the workflows' `metricMeter` counters are exported by the SDK's native
 * core, which serves Prometheus text on an address of its own. The worker's status server reads
 * that text and serves it with its own registry on one `/metrics` (see status-server.ts), so a
 * worker is one scrape target and the core's port can stay on loopback.
 */
export function sdkMetricsOptions(bindAddress: string): MetricsExporterConfig {
  return {
    prometheus: {
      bindAddress,
      // Prometheus conventions: counters end in `_total`, durations are seconds.
      countersTotalSuffix: true,
      useSecondsForDurations: true,
      // The default buckets end at 10 s; people answer in minutes.
      histogramBucketOverrides: {
        [RESPONSE_METRICS.approvalWait]: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400],
      },
    },
  };
}

/**
 * Where the core exporter binds: the configured address, or else a free loopback port (two
 * workers on one host must not collide on a default, and nobody but this process reads it).
 */
export async function sdkMetricsAddress(configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

/** Reads the core exporter's text (the status server appends it to its own). */
export function sdkMetricsReader(bindAddress: string): () => Promise<string> {
  // A wildcard bind is reachable on loopback.
  const url = `http://${bindAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:')}/metrics`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    return res.text();
  };
}
