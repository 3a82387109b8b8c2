import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuditStore } from '../../src/clients/opensearch/audit-store.js';
import { ensureRetentionSchedule } from '../../src/clients/temporal/retention-schedule.js';
import { AUDIT_RETENTION_WORKFLOW } from '../../src/contracts/retention.js';
import { verifyChains } from '../../src/domain/audit/chain.js';
import type { AuditEvent } from '../../src/domain/audit/event.js';
import { startInterlock, type Interlock } from '../support/interlock.js';

/**
 * Audit retention against the real OpenSearch and Temporal: monthly indices under a prefix of
 * this file's own, the schedule created as the worker creates it, one run triggered, and what
 * was deleted (and kept) checked in OpenSearch, the deletion audited there.
 */
const PREFIX = `audit-ret-${randomUUID().slice(0, 8)}`;
const SCHEDULE_ID = `audit-retention-${PREFIX}`;
let h: Interlock;

function monthsAgo(n: number): { index: string; time: string } {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 15, 12));
  return {
    index: `${PREFIX}-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`,
    time: d.toISOString(),
  };
}

function event(time: string, n: number): AuditEvent {
  return {
    eventId: `old-${time}-${n}`,
    sequence: n,
    time,
    incidentId: 'old-incident',
    workflowId: 'incident-old',
    type: 'response.note',
    actor: { id: 'alice', name: 'Alice', channel: 'api' },
    summary: 'an old note',
    service: 'db',
    environment: 'prod',
    severity: 'warning',
  };
}

const expired1 = monthsAgo(26);
const expired2 = monthsAgo(13);
const kept = monthsAgo(11);

beforeAll(async () => {
  h = await startInterlock(
    {
      temporalAddress: inject('temporalAddress'),
      opensearchUrl: inject('opensearchUrl'),
      auditIndexPrefix: PREFIX,
      workflowBundlePath: inject('workflowBundlePath'),
    },
    { playbooks: {} },
  );
  await h.audit.indexEvents([event(expired1.time, 1), event(expired1.time, 2), event(expired1.time, 3)]);
  await h.audit.indexEvents([event(expired2.time, 1)]);
  await h.audit.indexEvents([event(kept.time, 1)]);
  // Same start as the monthly indices, but not one of them: retention must leave it alone.
  await h.opensearch.indices.create({ index: `${PREFIX}-bench-2001.01` });
});

afterAll(async () => {
  await h?.client.schedule
    .getHandle(SCHEDULE_ID)
    .delete()
    .catch(() => undefined);
  await h?.opensearch.indices.delete({ index: `${PREFIX}-*` }).catch(() => undefined);
  await h?.opensearch.indices.deleteIndexTemplate({ name: PREFIX }).catch(() => undefined);
  for (const part of ['settings', 'mappings'])
    await h?.opensearch.cluster.deleteComponentTemplate({ name: `${PREFIX}-${part}` }).catch(() => undefined);
  await h?.stop();
});

const exists = async (index: string) => (await h.opensearch.indices.exists({ index })).body;

describe('audit index replicas', () => {
  it('come from the configuration, for new indices (template) and existing ones', async () => {
    await createAuditStore(h.opensearch, PREFIX, { replicas: 1 }).installTemplate();
    const template = await h.opensearch.cluster.getComponentTemplate({ name: `${PREFIX}-settings` });
    expect(
      (template.body.component_templates[0]!.component_template.template.settings as any).index.number_of_replicas,
    ).toBe('1');
    const settings = await h.opensearch.indices.getSettings({ index: kept.index });
    expect((settings.body[kept.index]!.settings as any).index.number_of_replicas).toBe('1');
    await createAuditStore(h.opensearch, PREFIX).installTemplate(); // back to the single-node default
    const after = await h.opensearch.indices.getSettings({ index: kept.index });
    expect((after.body[kept.index]!.settings as any).index.number_of_replicas).toBe('0');
  });
});

describe('audit retention', () => {
  it('is created as a schedule with the configured spec, updated in place, and removed when turned off', async () => {
    const base = { scheduleId: SCHEDULE_ID, taskQueue: h.taskQueue, cron: '17 3 * * *' };
    expect(await ensureRetentionSchedule(h.client, { ...base, retentionMonths: 6 })).toBe('created');
    expect(await ensureRetentionSchedule(h.client, { ...base, retentionMonths: 12, cron: '5 4 * * *' })).toBe(
      'updated',
    );
    const description = await h.client.schedule.getHandle(SCHEDULE_ID).describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: AUDIT_RETENTION_WORKFLOW,
      taskQueue: h.taskQueue,
      args: [{ retentionMonths: 12 }],
    });
    // The server stores a cron expression as a structured calendar: 04:05 every day.
    expect(description.spec.calendars).toEqual([
      expect.objectContaining({
        hour: [{ start: 4, end: 4, step: 1 }],
        minute: [{ start: 5, end: 5, step: 1 }],
      }),
    ]);
    expect(description.policies.overlap).toBe('SKIP');

    expect(await ensureRetentionSchedule(h.client, { ...base, retentionMonths: undefined })).toBe('removed');
    await expect(h.client.schedule.getHandle(SCHEDULE_ID).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await ensureRetentionSchedule(h.client, { ...base, retentionMonths: undefined })).toBe('none');
  });

  it('deletes the monthly indices older than the retention when the schedule runs, and audits each deletion', async () => {
    await ensureRetentionSchedule(h.client, {
      scheduleId: SCHEDULE_ID,
      taskQueue: h.taskQueue,
      retentionMonths: 12,
      cron: '17 3 * * *',
    });
    const schedule = h.client.schedule.getHandle(SCHEDULE_ID);
    await schedule.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(workflowId).toBeDefined();
    const result = await h.client.workflow.getHandle(workflowId!).result();

    expect(result.deleted).toEqual([
      { index: expired1.index, month: expired1.time.slice(0, 7), events: 3 },
      { index: expired2.index, month: expired2.time.slice(0, 7), events: 1 },
    ]);
    expect(await exists(expired1.index)).toBe(false);
    expect(await exists(expired2.index)).toBe(false);
    expect(await exists(kept.index)).toBe(true);
    expect(await exists(`${PREFIX}-bench-2001.01`)).toBe(true);

    const trail = await h.audit.incidentEvents('audit-retention');
    expect(trail.map((e) => [e.type, e.parameters])).toEqual([
      [
        'audit.retention-applied',
        { index: expired1.index, month: expired1.time.slice(0, 7), events: 3, retentionMonths: 12 },
      ],
      [
        'audit.retention-applied',
        { index: expired2.index, month: expired2.time.slice(0, 7), events: 1, retentionMonths: 12 },
      ],
    ]);
    expect(trail[0]).toMatchObject({ actor: { id: 'interlock', channel: 'system' }, workflowId });
    expect(verifyChains(trail)).toMatchObject({ intact: true, events: 2 });
    // Searchable by auditors like every other event.
    const found = await h.audit.search({ types: ['audit.retention-applied'], sort: 'oldest', limit: 10 });
    expect(found.total).toBe(2);
  });
});
