import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/**
 * A server span per HTTP request, the parent of what the request does through the Temporal
 * client (start, signal, update: their interceptor carries the context into the workflow).
 *
 * Why not @opentelemetry/instrumentation-http: it patches `http` through require hooks, which
 * ESM imports (this gateway is ESM, run by tsx) bypass unless a loader hook is preloaded, and it
 * would name spans by raw URL. Here the span is named by the matched route pattern, and the raw
 * path and query never reach a span: email decision links carry tokens in their paths.
 * An incoming `traceparent` (a caller's trace) is continued. No-op while tracing is off.
 */
export function tracingMiddleware(): RequestHandler {
  const tracer = trace.getTracer('interlock-gateway');
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}
