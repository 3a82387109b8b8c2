import { describe, expect, it } from 'vitest';
import { ConfigHealth } from '../../src/clients/config/reloading-file.js';
import { otlpTracesUrl } from '../../src/clients/telemetry/tracing.js';
import { ConfigError, gatewayEnvSchema, loadConfig, workerEnvSchema } from '../../src/config/env.js';
import { createStatusServer } from '../../src/worker/status-server.js';

describe('observability configuration', () => {
  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: an http:\/\/ or https:\/\/ URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: an http/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json is supported/],
    [{ WORKER_SDK_METRICS_ADDRESS: '9465' }, /WORKER_SDK_METRICS_ADDRESS: host:port/],
    [{ PENDING_APPROVALS_POLL_SECONDS: '-1' }, /PENDING_APPROVALS_POLL_SECONDS/],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => loadConfig(workerEnvSchema, env)).toThrow(ConfigError);
    expect(() => loadConfig(workerEnvSchema, env)).toThrow(message);
  });

  it('accepts the standard OpenTelemetry variables on the gateway too', () => {
    const config = loadConfig(gatewayEnvSchema, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'gateway-eu',
    });
    expect(otlpTracesUrl(config)).toBe('http://collector:4318/v1/traces');
    expect(() => loadConfig(gatewayEnvSchema, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toThrow(
      /only http\/json/,
    );
  });

  it('takes the traces endpoint as given, appends /v1/traces to the base endpoint, and is off without either', () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/' })).toBe(
      'https://otel.example/v1/traces',
    );
    expect(
      otlpTracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/ingest',
      }),
    ).toBe('https://traces.example/ingest');
    expect(otlpTracesUrl({})).toBeUndefined();
  });

  it('defaults: metrics on (pending approvals polled every 30 s), SDK exporter on a free port, tracing off', () => {
    const config = loadConfig(workerEnvSchema, {});
    expect(config.PENDING_APPROVALS_POLL_SECONDS).toBe(30);
    expect(config.WORKER_SDK_METRICS_ADDRESS).toBeUndefined();
    expect(otlpTracesUrl(config)).toBeUndefined();
  });
});

describe('the worker status server', () => {
  async function scrape(sdkMetrics: () => Promise<string>) {
    const status = createStatusServer({ health: new ConfigHealth(), running: () => true, sdkMetrics });
    const url = await status.listen(0, '127.0.0.1');
    try {
      const res = await fetch(`${url}/metrics`);
      return { status: res.status, text: await res.text() };
    } finally {
      await status.close();
    }
  }

  it("serves the SDK's metrics after its own, in one exposition", async () => {
    const { status, text } = await scrape(async () => '# TYPE temporal_x counter\ntemporal_x_total 3\n');
    expect(status).toBe(200);
    expect(text).toMatch(/^interlock_worker_sdk_metrics_up 1$/m);
    expect(text).toMatch(/^temporal_x_total 3$/m);
    expect(text.indexOf('interlock_worker_sdk_metrics_up')).toBeLessThan(text.indexOf('temporal_x_total'));
  });

  it("still answers when the SDK's exporter cannot be read, and says so", async () => {
    const { status, text } = await scrape(() => Promise.reject(new Error('connection refused')));
    expect(status).toBe(200);
    expect(text).toMatch(/^interlock_worker_sdk_metrics_up 0$/m);
    expect(text).not.toContain('temporal_');
  });
});
