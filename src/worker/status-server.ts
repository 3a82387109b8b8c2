import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConfigHealth } from '../clients/config/reloading-file.js';

/**
 * The worker's own small HTTP endpoint. A worker serves no requests, but it reloads playbooks,
 * the policy and the guardrails while it runs, and a refused edit must be visible somewhere a
 * machine looks, not only in a log line: `/metrics` (Prometheus) and `/readyz` (detail).
 *
 * Readiness stays 200 while a file is refused: the last good version is in service, so the
 * worker is doing its job, and taking it out of rotation (or restarting it, which would then
 * fail on the broken file) would turn one bad edit into an outage. The detail and the
 * `interlock_config_file_valid` gauge say what to fix; alert on the gauge.
 */
export function createStatusServer(options: {
  health: ConfigHealth;
  running: () => boolean;
  /** The Temporal SDK's Prometheus text (sdk-metrics.ts), served after this registry's. */
  sdkMetrics?: () => Promise<string>;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'interlock_worker_' });
  const { health } = options;
  new Gauge({
    name: 'interlock_config_file_valid',
    help: 'Whether the last edit of a configuration file was accepted (0: refused, the last good version is in service)',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of health.files) this.set({ file: f.file }, f.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'interlock_config_problem',
    help: 'One series per problem in a refused configuration file: where it is (file, line, field path)',
    labelNames: ['file', 'line', 'path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of health.files)
        for (const p of f.problems) this.set({ file: f.file, line: String(p.line ?? ''), path: p.path }, 1);
    },
  });

  const sdkUp = new Gauge({
    name: 'interlock_worker_sdk_metrics_up',
    help: "Whether the Temporal SDK's metrics could be read for this scrape (0: only Interlock's own are served)",
    registers: [registry],
  });

  /**
   * One scrape target per worker: this registry (process, configuration, pending approvals) and
   * the SDK core's exporter (Temporal's metrics and the workflows' counters) in one text. The two
   * never share a family name (`temporal_`/`interlock_` prefixes, and the workflows' counter names
   * differ from this registry's), so the concatenation is a valid exposition. Without the SDK's
   * part a scrape still answers, and `interlock_worker_sdk_metrics_up` says what is missing.
   */
  async function metricsText(): Promise<string> {
    let sdk = '';
    if (options.sdkMetrics) {
      try {
        sdk = await options.sdkMetrics();
        sdkUp.set(1);
      } catch {
        sdkUp.set(0);
      }
    }
    const own = await registry.metrics();
    return sdk ? `${own.trimEnd()}\n${sdk.trimEnd()}\n` : own;
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'application/json', JSON.stringify({ error: 'GET only' }));
    if (req.url === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (req.url === '/readyz') {
      const running = options.running();
      return send(
        running ? 200 : 503,
        'application/json',
        JSON.stringify({
          status: running ? 'ready' : 'not running',
          config: { status: health.ok ? 'ok' : 'refused-edit', files: health.files },
        }),
      );
    }
    if (req.url === '/metrics')
      return void metricsText().then(
        (text) => send(200, registry.contentType, text),
        (err: Error) => send(500, 'text/plain', err.message),
      );
    send(404, 'application/json', JSON.stringify({ error: 'not found: /metrics, /readyz, /healthz' }));
  });

  return {
    server,
    /** Where other worker-side gauges register (pending approvals). */
    registry,
    listen(port: number, host: string): Promise<string> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          resolve(`http://${host}:${address.port}`);
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
