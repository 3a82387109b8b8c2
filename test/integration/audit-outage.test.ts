import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureOpenSearch, type OpenSearchEndpoint } from '../../scripts/stack/opensearch.js';
import { PROFILES, type StackProfile } from '../../scripts/stack/profiles.js';
import { createAuditStore } from '../../src/clients/opensearch/audit-store.js';
import { restartPlaybook, startInterlock, type Interlock } from '../support/interlock.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

/**
 * A node of its own (other test files share the main one), so this file can stop it and start
 * it again while a response keeps going.
 */
const OUTAGE_PROFILE = {
  ...PROFILES.test,
  name: 'outage',
  opensearchHttpPort: 19201,
  opensearchTransportPort: 19301,
} as unknown as StackProfile;
const PREFIX = 'audit-outage';
const external = Boolean(process.env.OPENSEARCH_URL);

let node: OpenSearchEndpoint;
let target: TargetServer;
let h: Interlock;

describe.skipIf(external)('OpenSearch down in the middle of a response', () => {
  beforeAll(async () => {
    node = await ensureOpenSearch(OUTAGE_PROFILE, () => undefined);
    await createAuditStore(new OpenSearchClient({ node: node.url }), PREFIX).installTemplate();
    target = await startTargetServer();
    h = await startInterlock(
      {
        temporalAddress: inject('temporalAddress'),
        opensearchUrl: node.url,
        auditIndexPrefix: PREFIX,
        workflowBundlePath: inject('workflowBundlePath'),
      },
      { playbooks: { 'restart.yaml': restartPlaybook(target.url) } },
    );
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
    await target?.close();
    await node?.process?.stop();
  });

  it('delays indexing but loses nothing: after the restart every event is stored exactly once', async () => {
    const r = responses(h);
    const id = await r.open('outage', { labels: { incident_tag: 'outage-1' } });
    const approval = await r.pendingApproval(id);
    expect(node.process).toBeDefined();
    await node.process!.stop();

    // Decisions keep working while the audit store is gone.
    expect(
      (await r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'approved during the outage' })).status,
    ).toBe(200);
    const during = await r.until(id, (s) => s.phase === 'completed', 30_000);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 3000));

    node = await ensureOpenSearch(OUTAGE_PROFILE, () => undefined);
    // The workflow finishes once its outbox is drained (indexing retries back off up to 30 s).
    expect((await r.result(id)).phase).toBe('completed');

    const stored = await h.request('GET', `/v1/audit/search?incident=${id}&limit=200&sort=oldest`, { as: 'audrey' });
    const timeline = (await r.status(id)).timeline.map((e: any) => e.eventId);
    expect(during.timeline.length).toBeGreaterThan(5);
    expect(stored.body.total).toBe(timeline.length);
    expect(stored.body.events.map((e: any) => e.eventId)).toEqual(timeline);
    const byReason = await h.request(
      'GET',
      `/v1/audit/search?q=${encodeURIComponent('during the outage')}&incident=${id}`,
      { as: 'audrey' },
    );
    expect(byReason.body.events.map((e: any) => e.type)).toEqual(['approval.granted']);
    expect((await h.request('GET', `/v1/audit/verify?incident=${id}`, { as: 'audrey' })).body).toMatchObject({
      intact: true,
    });
  }, 180_000);
});
