import { z } from 'zod';

/**
 * Who is on call for an approver tier right now, from a rotation file: per tier, layers of people
 * who take turns (a handoff every day, every week, or every N hours, at a local time of day in
 * the tier's time zone, so a handoff stays at 09:00 across daylight-saving changes), and
 * overrides that replace everyone for a window. Pure: the caller passes the time.
 */
const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'a local date and time like 2026-11-02T09:00 (in the time zone)');

const layerSchema = z
  .object({
    name: z.string().min(1).max(100),
    /** The first handoff, in the tier's time zone: people[0] is on call from then. */
    start: localTime,
    handoff: z.union([
      z.literal('daily'),
      z.literal('weekly'),
      z
        .object({
          everyHours: z
            .number()
            .int()
            .min(1)
            .max(24 * 28),
        })
        .strict(),
    ]),
    people: z.array(z.string().min(1).max(200)).min(1),
  })
  .strict();

const overrideSchema = z
  .object({
    person: z.string().min(1).max(200),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .strict()
  .refine((o) => Date.parse(o.from) < Date.parse(o.to), { message: 'from must be before to', path: ['to'] });

/** An iCal feed of the tier's schedule (PagerDuty and Opsgenie export one); the URL may carry a token. */
const icalSourceSchema = z.object({ url: z.url({ protocol: /^https?$/ }) }).strict();

/** PagerDuty's own on-call API: who is on call for these schedules and/or escalation policies. */
const pagerDutySourceSchema = z
  .object({
    scheduleIds: z
      .array(z.string().regex(/^[A-Z0-9]{2,20}$/, 'a PagerDuty id like PABC123'))
      .min(1)
      .optional(),
    escalationPolicyIds: z
      .array(z.string().regex(/^[A-Z0-9]{2,20}$/, 'a PagerDuty id like PABC123'))
      .min(1)
      .optional(),
    /** Only people at this level of the escalation policy (1 = first responders); unset: every level. */
    escalationLevel: z.number().int().min(1).max(20).optional(),
  })
  .strict()
  .refine((p) => p.scheduleIds || p.escalationPolicyIds, {
    message: 'name scheduleIds, escalationPolicyIds or both',
  });

export const rotationFileSchema = z
  .object({
    tiers: z.record(
      z.string().min(1).max(100),
      z
        .object({
          timeZone: z.string().refine(validTimeZone, { message: 'an IANA time zone, e.g. Europe/Berlin or UTC' }),
          layers: z.array(layerSchema).default([]),
          overrides: z.array(overrideSchema).default([]),
          /** Sources outside the file, added to the layers; overrides in the file still win over them. */
          ical: icalSourceSchema.optional(),
          pagerduty: pagerDutySourceSchema.optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type Rotation = z.infer<typeof rotationFileSchema>;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Everyone on call for `tier` at `atMs`: an override in force replaces the layers; otherwise one
 * person per layer (each layer is a rotation of its own; several layers add people). Empty when
 * the tier is unknown or nobody is scheduled yet: the caller must treat that as "nobody".
 */
export function onCall(rotation: Rotation, tier: string, atMs: number): string[] {
  const schedule = rotation.tiers[tier];
  if (!schedule) return [];
  const overriding = overridesAt(rotation, tier, atMs);
  if (overriding.length) return overriding;
  const people: string[] = [];
  for (const layer of schedule.layers) {
    const turns = handoffsSince(layer, schedule.timeZone, atMs);
    if (turns < 0) continue; // the layer has not started yet
    people.push(layer.people[turns % layer.people.length]!);
  }
  return unique(people);
}

/** The people whose overrides are in force at `atMs` (they replace every other source of the tier). */
export function overridesAt(rotation: Rotation, tier: string, atMs: number): string[] {
  const schedule = rotation.tiers[tier];
  if (!schedule) return [];
  return unique(
    schedule.overrides.filter((o) => Date.parse(o.from) <= atMs && atMs < Date.parse(o.to)).map((o) => o.person),
  );
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** How many handoffs happened from the layer's start until `atMs` (-1 before the start). */
function handoffsSince(layer: Rotation['tiers'][string]['layers'][number], timeZone: string, atMs: number): number {
  const [date, time] = layer.start.split('T') as [string, string];
  const [h, m] = time.split(':').map(Number) as [number, number];
  const startMinuteOfDay = h * 60 + m;
  const now = localParts(atMs, timeZone);
  if (typeof layer.handoff === 'object') {
    const startMs = instantOf(date, startMinuteOfDay, timeZone);
    return atMs < startMs ? -1 : Math.floor((atMs - startMs) / (layer.handoff.everyHours * 3_600_000));
  }
  // Days are counted on the local calendar, so a 09:00 handoff stays at 09:00 across DST.
  let days = dayNumber(now.date) - dayNumber(date);
  if (now.minuteOfDay < startMinuteOfDay) days -= 1;
  if (days < 0) return -1;
  return layer.handoff === 'daily' ? days : Math.floor(days / 7);
}

function dayNumber(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}

/** The local calendar date and minute of the day of an instant in a time zone. */
function localParts(atMs: number, timeZone: string): { date: string; minuteOfDay: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(atMs))
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The instant at which the local clock in `timeZone` shows `isoDate` and `minuteOfDay`. */
function instantOf(isoDate: string, minuteOfDay: number, timeZone: string): number {
  const asUtc = Date.parse(`${isoDate}T00:00:00Z`) + minuteOfDay * 60_000;
  // The zone's offset at that moment, found by formatting the UTC guess there (twice, for DST edges).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const local = localParts(guess, timeZone);
    const shownAsUtc = Date.parse(`${local.date}T00:00:00Z`) + local.minuteOfDay * 60_000;
    guess += asUtc - shownAsUtc;
  }
  return guess;
}
