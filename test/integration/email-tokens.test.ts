import { randomBytes } from 'node:crypto';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { describe, expect, inject, it } from 'vitest';
import { createEmailTokenStore, emailTokenHash, emailTokenIndex } from '../../src/clients/opensearch/email-tokens.js';

/**
 * The single-use guarantee of emailed links, against the real OpenSearch node: several gateways
 * (separate store instances, separate clients) racing on one token, exactly one wins.
 */
const prefix = inject('auditIndexPrefix');
const gateway = () => createEmailTokenStore(new OpenSearchClient({ node: inject('opensearchUrl') }), prefix);
const newHash = () => emailTokenHash(randomBytes(32).toString('base64url'));
const record = (expiresInMs = 60_000) => ({
  approvalId: 'restart-replica-1',
  incidentId: 'am-000000000000000000000000',
  workflowId: 'incident-am-000000000000000000000000',
  personId: 'bob',
  expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
});

describe('email token store', () => {
  it('lets exactly one of several concurrent claims win, every time', async () => {
    const stores = [gateway(), gateway(), gateway()];
    for (let round = 0; round < 10; round++) {
      const hash = newHash();
      await stores[0]!.put(hash, record());
      const outcomes = await Promise.all([...stores, ...stores].map((s) => s.claim(hash)));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.ok)).toEqual(Array(5).fill({ ok: false, reason: 'used' }));
    }
  });

  it('reads without spending, and refuses unknown, used and expired tokens with distinct reasons', async () => {
    const store = gateway();
    const hash = newHash();
    await store.put(hash, record());
    for (let i = 0; i < 3; i++) expect((await store.find(hash)).lookup).toMatchObject({ ok: true });
    expect(await store.claim(hash)).toMatchObject({ ok: true, record: { personId: 'bob' } });
    expect(await store.claim(hash)).toEqual({ ok: false, reason: 'used' });
    expect((await store.find(hash)).lookup).toEqual({ ok: false, reason: 'used' });
    expect(await store.claim(newHash())).toEqual({ ok: false, reason: 'unknown' });
    const old = newHash();
    await store.put(old, record(-1));
    expect(await store.claim(old)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keeps its index out of the audit trail pattern', () => {
    expect(emailTokenIndex(prefix).startsWith(`${prefix}-`)).toBe(false);
  });
});
