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

  /** Ready means the gateway can do its job: Temporal and OpenSearch both answer, quickly. */
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
    const ready = Object.values(checks).every((c) => (c as { ok: boolean }).ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  mount(ROUTES.metrics, async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
