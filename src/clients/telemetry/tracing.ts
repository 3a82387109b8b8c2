import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/** The standard OpenTelemetry variables Interlock reads (validated in src/config/env.ts). */
export interface TracingSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_SERVICE_NAME?: string;
}

/** Where spans go: the traces endpoint as given, or `<endpoint>/v1/traces` (the OTLP/HTTP rule); unset: off. */
export function otlpTracesUrl(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!settings.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

export interface Tracing {
  resource: Resource;
  /** Worker: the workflows' spans leave the sandbox through a sink into this processor. */
  spanProcessor: SpanProcessor;
  url: string;
  /** Flush what is buffered and stop (on shutdown; tests call it to see every span). */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/**
 * Tracing over OTLP/HTTP (JSON), on only when an endpoint is configured: no collector, no cost.
 * Registers the process-wide tracer provider (AsyncLocalStorage context, W3C trace context), which
 * the gateway's request spans, the Temporal client interceptor (which carries the context in
 * workflow headers) and the activity interceptor all use. Headers for the collector come from
 * OTEL_EXPORTER_OTLP_HEADERS, read by the exporter itself.
 *
 * The 1.x SDK line on purpose: @temporalio/interceptors-opentelemetry 1.24 is built against
 * @opentelemetry/sdk-trace-base and resources ^1.25 (its Resource and SpanProcessor types), and
 * 1.x runs on Node 20 (the 2.x line's sdk-node 0.2xx wants Node 22).
 */
export function startTracing(settings: TracingSettings, defaultServiceName: string): Tracing | undefined {
  const url = otlpTracesUrl(settings);
  if (!url) return undefined;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME ?? defaultServiceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    resource,
    spanProcessor,
    url,
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
}

/** The Temporal client's interceptors: a span per start, signal, update and query, its context in the headers. */
export function tracingClientInterceptors(tracing: Tracing | undefined) {
  return tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {};
}
