import ical from 'node-ical';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { icalFeeds, peopleInCalendar } from '../../src/clients/oncall/ical.js';
import { contactDirectory } from '../../src/clients/oncall/people.js';
import { BERLIN_FEED } from '../support/ical-feeds.js';

const people = contactDirectory(() => [
  { id: 'bob', name: 'Bob Approver', email: 'Bob@example.com' },
  { id: 'erin', name: 'Erin Approver', email: 'erin@example.com' },
  { id: 'dana', name: 'Dana Dba' },
]);

const calendar = ical.sync.parseICS(BERLIN_FEED);
const who = (iso: string) => peopleInCalendar(calendar, new Date(iso), people).sort();

describe('iCal on-call feed', () => {
  it('hands over at 09:00 Berlin time on both sides of the 2026-10-25 DST change', () => {
    expect(who('2026-10-19T06:59:00Z')).toEqual([]); // 08:59 CEST: before the first shift
    expect(who('2026-10-19T07:00:00Z')).toEqual(['bob']); // 09:00 CEST: start is inclusive
    expect(who('2026-10-25T12:00:00Z')).toEqual(['bob']); // the day of the change
    expect(who('2026-10-26T07:59:59Z')).toEqual(['bob']); // 08:59 CET: bob's shift runs to 09:00 local
    expect(who('2026-10-26T08:00:00Z')).toEqual(['erin']); // 09:00 CET: end exclusive, erin (organizer email)
    expect(who('2026-11-02T07:59:00Z')).toEqual(['erin']);
    expect(who('2026-11-02T08:00:00Z')).toEqual(['bob']); // the series recurs in winter time at 09:00 local
    expect(who('2026-11-16T08:00:00Z')).toEqual(['bob']);
  });

  it('expands a weekly RRULE with an EXDATE, and names a person from the summary', () => {
    expect(who('2026-10-21T16:00:00Z')).toEqual(['bob', 'dana']); // 18:00 CEST
    expect(who('2026-10-21T19:59:00Z')).toEqual(['bob', 'dana']);
    expect(who('2026-10-21T20:00:00Z')).toEqual(['bob']); // 22:00 CEST: over
    expect(who('2026-10-28T17:00:00Z')).toEqual(['dana', 'erin']); // 18:00 CET, after the change
    expect(who('2026-10-28T16:30:00Z')).toEqual(['erin']); // 17:30 CET: not yet (an hour-shift bug would say dana)
    expect(who('2026-11-04T17:30:00Z')).toEqual(['bob']); // EXDATE: that evening is off (bob's week)
    expect(who('2026-11-11T17:30:00Z')).toEqual(['dana', 'erin']);
  });
});

describe('iCal feed over HTTP', () => {
  let server: http.Server;
  let url: string;
  let answer = { status: 200, body: BERLIN_FEED };
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(answer.status, { 'content-type': 'text/calendar' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.ics?token=secret-token`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refreshes every few minutes, keeps the last good copy for a while, then says it cannot read it', async () => {
    let clock = 0;
    const feeds = icalFeeds({ people, refreshMs: 300_000, maxStaleMs: 3_600_000, now: () => clock });
    const at = new Date('2026-10-26T08:00:00Z');
    expect(await feeds.peopleFor(url, at)).toEqual(['erin']);
    expect(await feeds.peopleFor(url, at)).toEqual(['erin']);
    expect(hits).toBe(1); // cached between refreshes

    answer = { status: 503, body: 'down' };
    clock = 600_000;
    expect(await feeds.peopleFor(url, at)).toEqual(['erin']); // refresh failed: last good copy
    expect(hits).toBe(2);
    clock = 3_700_000;
    const error = await feeds.peopleFor(url, at).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/unreadable: HTTP 503/);
    expect((error as Error).message).not.toContain('secret-token'); // feed URLs carry tokens

    answer = { status: 200, body: BERLIN_FEED };
    clock = 4_100_000;
    expect(await feeds.peopleFor(url, at)).toEqual(['erin']);
  });

  it('a feed that never loaded is an error, not "nobody"', async () => {
    answer = { status: 200, body: '<html>login</html>' };
    const feeds = icalFeeds({ people });
    await expect(feeds.peopleFor(url, new Date())).rejects.toThrow(/not an iCal calendar/);
    answer = { status: 200, body: BERLIN_FEED };
  });
});
