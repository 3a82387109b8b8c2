import type { RouteContract } from './schemas.js';

/** What operators and load balancers call: the OpenAPI document, health, readiness, metrics. */
export const OPERATION_ROUTES = {
  openapi: {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'OpenAPI 3.1' },
  },
  healthz: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'alive' },
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal reachable (OpenSearch unreachable only degrades: still 200)',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'ready, or degraded (OpenSearch unreachable)', 503: 'Temporal is unreachable' },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    access: 'public',
    responses: { 200: 'text exposition format' },
  },
} satisfies Record<string, RouteContract>;
