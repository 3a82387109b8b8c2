import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for one gateway: its own registry, so tests can run several side by side. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'interlock_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'interlock_decisions_total',
    help: 'Approval decisions accepted, by decision',
    labelNames: ['decision'],
    registers: [registry],
  });
  const optOuts = new Counter({
    name: 'interlock_optouts_total',
    help: 'Opt-outs accepted, by mode and scope',
    labelNames: ['mode', 'scope'],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'interlock_alert_deliveries_total',
    help: 'Alert deliveries accepted, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const approvalLatency = new Histogram({
    name: 'interlock_approval_latency_seconds',
    help: 'From an approval request to an accepted decision on it',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    res.on('finish', () => {
      // The matched route pattern, never the raw URL: IDs in paths would explode cardinality.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, decisions, optOuts, alerts, approvalLatency, middleware };
}
export type GatewayMetrics = ReturnType<typeof createMetrics>;
