import { createHash } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';

/** What an emailed decision link stands for. The token itself is never stored, only its SHA-256. */
export interface EmailTokenRecord {
  approvalId: string;
  incidentId: string;
  workflowId: string;
  personId: string;
  /** The approval's own expiry: the link is no use past it. */
  expiresAt: string;
  createdAt: string;
  /** Set once, by the one POST that won the claim. */
  usedAt?: string;
}

export type TokenRefusal = 'unknown' | 'used' | 'expired';
export type TokenLookup = { ok: true; record: EmailTokenRecord } | { ok: false; reason: TokenRefusal };

export function emailTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The index name. Deliberately not `<prefix>-email-tokens`: the audit trail owns `<prefix>-*`
 * (its index template with strict mappings, its searches and its retention all use that
 * pattern), so a token index there would be shaped like audit events and show up in audit searches.
 */
export const emailTokenIndex = (prefix: string) => `${prefix}.email-tokens`;

const statusOf = (err: unknown) => (err as { meta?: { statusCode?: number } }).meta?.statusCode;

/**
 * Single-use decision tokens in OpenSearch, shared by every gateway and worker. Reads are GETs
 * by id (realtime, no refresh needed), and the claim is a compare-and-set on the document's
 * sequence number, so of two gateways racing on one token exactly one wins.
 */
export function createEmailTokenStore(client: Client, prefix: string, now: () => Date = () => new Date()) {
  const index = emailTokenIndex(prefix);
  let ready: Promise<void> | undefined;

  /** Created on first use; another process creating it at the same moment is fine. */
  function ensureIndex(): Promise<void> {
    ready ??= client.indices
      .create({
        index,
        body: {
          settings: { number_of_shards: 1 },
          mappings: {
            dynamic: 'strict',
            properties: {
              approvalId: { type: 'keyword' },
              incidentId: { type: 'keyword' },
              workflowId: { type: 'keyword' },
              personId: { type: 'keyword' },
              expiresAt: { type: 'date' },
              createdAt: { type: 'date' },
              usedAt: { type: 'date' },
            },
          },
        },
      })
      .then(
        () => undefined,
        (err: unknown) => {
          if (/resource_already_exists_exception/.test(JSON.stringify((err as { body?: unknown }).body ?? ''))) return;
          ready = undefined; // try again next time (OpenSearch may just be starting)
          throw err;
        },
      );
    return ready;
  }

  async function read(hash: string) {
    await ensureIndex();
    try {
      const res = await client.get({ index, id: hash });
      const body = res.body as unknown as {
        _source: EmailTokenRecord;
        _seq_no: number;
        _primary_term: number;
      };
      return body;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  function judge(doc: { _source: EmailTokenRecord } | undefined): TokenLookup {
    if (!doc) return { ok: false, reason: 'unknown' };
    if (doc._source.usedAt) return { ok: false, reason: 'used' };
    if (Date.parse(doc._source.expiresAt) <= now().getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, record: doc._source };
  }

  return {
    index,
    ensureIndex,

    /** Store a new token's hash; `create` refuses an id that exists (a collision would be a bug). */
    async put(hash: string, record: Omit<EmailTokenRecord, 'createdAt' | 'usedAt'>): Promise<void> {
      await ensureIndex();
      await client.create({ index, id: hash, body: { ...record, createdAt: now().toISOString() } });
    },

    /** What the token stands for, without spending it (the confirmation page, link scanners). */
    async find(hash: string): Promise<{ lookup: TokenLookup; record?: EmailTokenRecord }> {
      const doc = await read(hash);
      return { lookup: judge(doc), record: doc?._source };
    },

    /**
     * Spend the token: only if nobody spent it since we read it (`if_seq_no`/`if_primary_term`).
     * A concurrent claim that got there first makes ours fail with 409, reported as `used`.
     */
    async claim(hash: string): Promise<TokenLookup> {
      const doc = await read(hash);
      const verdict = judge(doc);
      if (!verdict.ok || !doc) return verdict;
      try {
        await client.update({
          index,
          id: hash,
          if_seq_no: doc._seq_no,
          if_primary_term: doc._primary_term,
          body: { doc: { usedAt: now().toISOString() } },
        });
      } catch (err) {
        if (statusOf(err) === 409) return { ok: false, reason: 'used' };
        throw err;
      }
      return { ok: true, record: { ...doc._source, usedAt: now().toISOString() } };
    },
  };
}
export type EmailTokenStore = ReturnType<typeof createEmailTokenStore>;
