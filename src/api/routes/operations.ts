import type { Client } from '@temporalio/client';
import { openApiDocument, ROUTES } from '../contract.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Mount } from '../mount.js';

export function operationsRoutes(
  mount: Mount,
  deps: { client: Client; opensearchPing: () => Promise<unknown>; metrics: GatewayMetrics; version: string },
) {
  const document = openApiDocument(deps.version);
  mount(ROUTES.openapi, (_req, res) => void res.json(document));
  mount(ROUTES.healthz, (_req, res) => void res.json({ status: 'ok' }));

  /**
   * Ready means the gateway can take decisions: Temporal answers. OpenSearch down only degrades it
   * (audit search and export wait; the workflows keep every event and index it when OpenSearch is
   * back), so a load balancer must not pull the control API out for that: 200, `degraded`.
   */
  mount(ROUTES.readyz, async (_req, res) => {
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await Promise.race([
          probe(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000)),
        ]);
        return [name, { ok: true }] as const;
      } catch (err) {
        return [name, { ok: false, error: (err as Error).message }] as const;
      }
    };
    const checks = Object.fromEntries(
      await Promise.all([
        check('temporal', () => deps.client.connection.workflowService.getSystemInfo({})),
        check('opensearch', deps.opensearchPing),
      ]),
    );
    if (!checks.temporal?.ok) return void res.status(503).json({ status: 'not ready', checks });
    if (!checks.opensearch?.ok)
      return void res.status(200).json({
        status: 'degraded',
        checks,
        degraded:
          'OpenSearch is unreachable: audit search, export, verification, email links and re-fire records wait; decisions, opt-outs and stops work, and their audit events are indexed when it is back',
      });
    res.status(200).json({ status: 'ready', checks });
  });

  mount(ROUTES.metrics, async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
