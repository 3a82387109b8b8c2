import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRotation } from '../../src/clients/config/oncall.js';
import { ConfigHealth, ReloadingConfigFile } from '../../src/clients/config/reloading-file.js';
import { onCall, rotationFileSchema } from '../../src/domain/oncall/rotation.js';

const rotation = rotationFileSchema.parse({
  tiers: {
    tier1: {
      timeZone: 'Europe/Berlin',
      layers: [{ name: 'primary', start: '2026-10-19T09:00', handoff: 'weekly', people: ['bob', 'erin', 'dana'] }],
      overrides: [{ person: 'lee', from: '2026-11-24T18:00:00Z', to: '2026-11-25T06:00:00Z' }],
    },
    lead: {
      timeZone: 'America/New_York',
      layers: [
        { name: 'day', start: '2026-11-01T08:00', handoff: 'daily', people: ['lee', 'ada'] },
        { name: 'follow-the-sun', start: '2026-11-01T00:00', handoff: { everyHours: 12 }, people: ['sam', 'kim'] },
      ],
    },
  },
});
const at = (iso: string) => Date.parse(iso);

describe('on-call rotation', () => {
  it('hands over weekly at 09:00 Berlin time, the same local hour on both sides of the DST change', () => {
    // 2026-10-25 is when Berlin leaves summer time: 09:00 local is 07:00Z before, 08:00Z after.
    expect(onCall(rotation, 'tier1', at('2026-10-19T07:00:00Z'))).toEqual(['bob']); // 09:00 CEST, first week
    expect(onCall(rotation, 'tier1', at('2026-10-26T07:59:00Z'))).toEqual(['bob']); // 08:59 CET: not yet
    expect(onCall(rotation, 'tier1', at('2026-10-26T08:00:00Z'))).toEqual(['erin']); // 09:00 CET: handoff
    expect(onCall(rotation, 'tier1', at('2026-11-02T08:30:00Z'))).toEqual(['dana']);
    expect(onCall(rotation, 'tier1', at('2026-11-09T08:30:00Z'))).toEqual(['bob']); // round again
  });

  it('lets an override replace everyone for its window, and nobody before a layer starts', () => {
    expect(onCall(rotation, 'tier1', at('2026-11-24T20:00:00Z'))).toEqual(['lee']);
    // After it, the weekly layer again: the week that began Monday 23 November is dana's.
    expect(onCall(rotation, 'tier1', at('2026-11-25T06:00:00Z'))).toEqual(['dana']);
    expect(onCall(rotation, 'tier1', at('2026-10-19T06:59:00Z'))).toEqual([]);
    expect(onCall(rotation, 'nobody-tier', at('2026-11-25T06:00:00Z'))).toEqual([]);
  });

  it('adds one person per layer: a daily layer in New York and a 12-hour one', () => {
    // The 12-hour layer started at 00:00 EDT on 1 November (04:00Z): 34 h later is its third turn.
    expect(onCall(rotation, 'lead', at('2026-11-02T14:00:00Z'))).toEqual(['ada', 'sam']); // 09:00 EST, day 2
    expect(onCall(rotation, 'lead', at('2026-11-02T12:30:00Z'))).toEqual(['lee', 'sam']); // 07:30 EST: day 1 still
    expect(onCall(rotation, 'lead', at('2026-11-02T16:00:00Z'))).toEqual(['ada', 'kim']); // 36 h: the fourth turn
  });

  it('refuses a rotation file with a wrong time zone, local time or window, naming the field', () => {
    const bad = rotationFileSchema.safeParse({
      tiers: {
        tier1: {
          timeZone: 'Mars/Olympus',
          layers: [{ name: 'x', start: '2026-11-02 09:00', handoff: 'hourly', people: [] }],
          overrides: [{ person: 'a', from: '2026-11-02T10:00:00Z', to: '2026-11-02T09:00:00Z' }],
        },
      },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'tiers.tier1.timeZone',
        'tiers.tier1.layers.0.start',
        'tiers.tier1.layers.0.handoff',
        'tiers.tier1.layers.0.people',
        'tiers.tier1.overrides.0.to',
      ]),
    );
  });
});

describe('the rotation file while the worker runs', () => {
  it('takes an edit on the next lookup, and keeps the last good rotation when an edit is broken', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncall-'));
    const file = path.join(dir, 'oncall.yaml');
    const write = (people: string) => {
      fs.writeFileSync(
        file,
        `tiers:\n  tier1:\n    timeZone: UTC\n    layers:\n      - { name: a, start: 2026-01-01T00:00, handoff: daily, people: [${people}] }\n`,
      );
      // A different mtime even within the same millisecond.
      const t = new Date(Date.now() + Math.random() * 100_000);
      fs.utimesSync(file, t, t);
    };
    write('bob');
    const refused: string[] = [];
    const health = new ConfigHealth((_scope, statuses) =>
      refused.push(...statuses.filter((s) => !s.ok).map((s) => s.file)),
    );
    const rotation = ReloadingConfigFile.load(file, parseRotation, { health });
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(onCall(rotation.current(), 'tier1', now)).toEqual(['bob']);
    write('erin');
    expect(onCall(rotation.current(), 'tier1', now)).toEqual(['erin']);
    fs.writeFileSync(file, 'tiers:\n  tier1:\n    timeZone: Mars/Olympus\n');
    expect(onCall(rotation.current(), 'tier1', now)).toEqual(['erin']);
    expect(refused).toEqual([file]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
