import { z } from 'zod';
import { GUARDRAIL_ROUTES } from './contract/guardrail-routes.js';
import { INCIDENT_ROUTES } from './contract/incident-routes.js';
import { OPERATION_ROUTES } from './contract/operation-routes.js';
import { CODEC_ROUTES } from './contract/codec-routes.js';
import { INTEGRATION_ROUTES } from './contract/integration-routes.js';
import { AUTH_ROUTES } from './contract/auth-routes.js';
import { ANALYTICS_ROUTES } from './contract/analytics-routes.js';

import type { RouteContract } from './contract/schemas.js';

export { bodies, queries, type RouteContract } from './contract/schemas.js';

/**
 * Every HTTP route: its method, path, who may call it and the schemas that validate it
 * (src/api/contract/). The routers validate with these schemas and /v1/openapi.json is generated
 * from them, so the document and the behaviour cannot drift apart.
 */
export const ROUTES = {
  ...INCIDENT_ROUTES,
  ...GUARDRAIL_ROUTES,
  ...OPERATION_ROUTES,
  ...CODEC_ROUTES,
  ...INTEGRATION_ROUTES,
  ...AUTH_ROUTES,
  ...ANALYTICS_ROUTES,
};
export type RouteName = keyof typeof ROUTES;

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Input side: what a caller sends (before defaults and transforms).
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The OpenAPI 3.1 document, built from ROUTES. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as Array<[string, RouteContract]>) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = Object.entries(route.params ?? {}).map(([p, description]) => ({
      name: p,
      in: 'path',
      required: true,
      description,
      schema: { type: 'string' },
    }));
    if (route.idempotent)
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Send the same key with the same body again (to any gateway) after a timeout or lost answer: ' +
          'the input takes effect once and the repeat gets the first outcome. 8-128 visible ASCII characters.',
        schema: { type: 'string', minLength: 8, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
      });
    if (route.query) {
      const q = jsonSchema(route.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [p, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name: p, in: 'query', required: q.required?.includes(p) ?? false, schema });
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: name,
      summary: route.summary,
      tags: [route.tag],
      ...(route.access === 'public'
        ? { security: [] }
        : route.access === 'integration'
          ? { security: [], description: 'No bearer token: the sender proves each request (see the summary).' }
          : route.access === 'sign-in'
            ? { security: [], description: "No bearer token: a browser's sealed sign-in cookies; HTML pages." }
            : {
                description: `Allowed: ${route.access === 'alert-source' ? 'alert sources (bearer token or signed body)' : route.access.join(', ')}.`,
              }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, description]) => [
          status,
          Number(status) >= 400
            ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
            : { description },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Interlock',
      version,
      description: 'Automated incident response that humans can stop, steer and approve.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A static API token or an OIDC JWT' } },
      schemas: { Error: errorBody },
    },
    paths,
  };
}
