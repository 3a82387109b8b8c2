import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for PagerDuty (NOT PagerDuty: no test here talks to pagerduty.com). It checks
 * each request the way PagerDuty documents its APIs, so a request PagerDuty would refuse is
 * refused here too, and records what it received:
 * - Events API v2, `POST /v2/enqueue`: JSON body, 32-character routing_key, event_action
 *   trigger|acknowledge|resolve, dedup_key at most 255 characters, and on trigger a payload with
 *   summary (at most 1024 characters), source and severity (critical|error|warning|info).
 *   202 `{status:'success', message:'Event processed', dedup_key}`, or 400 `{status:'invalid event', errors}`.
 * - REST API, `GET /oncalls`: `Authorization: Token token=<key>` (else 401), query arrays as
 *   `name[]=a&name[]=b`, answers from `oncalls` (set by the test) filtered by schedule and
 *   escalation policy, paginated with `limit`/`offset`/`more`.
 * - `GET /calendar.ics`: the iCal text set by the test (as PagerDuty's and Opsgenie's exports are served).
 */
export interface FakePagerDuty {
  url: string;
  events: Array<{ status: number; body: any }>;
  oncallRequests: Array<{ query: URLSearchParams; authorization?: string }>;
  /** On-call entries as PagerDuty's API shapes them (user, schedule, escalation_policy, escalation_level). */
  oncalls: any[];
  /** The REST key the fake accepts. */
  apiKey: string;
  /** Answer every Events API request with this status (e.g. 500: PagerDuty down). */
  failEventsWith?: number;
  /** Answer every on-calls request with this status. */
  failOncallsWith?: number;
  /** Page size the fake uses (PagerDuty's default is 25). */
  pageSize: number;
  ical: string;
  close(): Promise<void>;
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export function validateEvent(body: any): string[] {
  const errors: string[] = [];
  if (typeof body !== 'object' || body === null) return ['Event object is invalid'];
  if (typeof body.routing_key !== 'string' || body.routing_key.length !== 32)
    errors.push("'routing_key' must be 32 characters");
  if (!ACTIONS.includes(body.event_action)) errors.push("'event_action' is invalid");
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key.length > 255))
    errors.push("'dedup_key' must be a string of at most 255 characters");
  if (body.event_action !== 'trigger' && !body.dedup_key) errors.push("'dedup_key' is required for this action");
  if (body.event_action === 'trigger') {
    const p = body.payload;
    if (typeof p !== 'object' || p === null) errors.push("'payload' is missing or invalid");
    else {
      if (typeof p.summary !== 'string' || !p.summary) errors.push("'payload.summary' is missing");
      else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof p.source !== 'string' || !p.source) errors.push("'payload.source' is missing");
      if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is missing or invalid");
    }
  }
  return errors;
}

export async function startFakePagerDuty(opts: { apiKey?: string } = {}): Promise<FakePagerDuty> {
  const fake = {
    events: [],
    oncallRequests: [],
    oncalls: [],
    apiKey: opts.apiKey ?? 'fake-rest-api-key',
    pageSize: 25,
    ical: '',
  } as unknown as FakePagerDuty;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const send = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.method === 'POST' && url.pathname === '/v2/enqueue') {
        let body: any;
        const errors: string[] = [];
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
          errors.push('Content-Type must be application/json');
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          errors.push('Event object is invalid');
        }
        if (!errors.length) errors.push(...validateEvent(body));
        if (errors.length) {
          fake.events.push({ status: 400, body });
          return send(400, { status: 'invalid event', message: 'Event object is invalid', errors });
        }
        if (fake.failEventsWith) {
          fake.events.push({ status: fake.failEventsWith, body });
          return send(fake.failEventsWith, { status: 'error', message: 'unavailable (fake)' });
        }
        fake.events.push({ status: 202, body });
        return send(202, { status: 'success', message: 'Event processed', dedup_key: body.dedup_key ?? 'generated' });
      }
      if (req.method === 'GET' && url.pathname === '/oncalls') {
        const authorization = req.headers.authorization;
        fake.oncallRequests.push({ query: url.searchParams, authorization });
        if (authorization !== `Token token=${fake.apiKey}`)
          return send(401, { error: { message: 'Unauthorized', code: 2006 } });
        if (fake.failOncallsWith) return send(fake.failOncallsWith, { error: { message: 'unavailable (fake)' } });
        const schedules = url.searchParams.getAll('schedule_ids[]');
        const policies = url.searchParams.getAll('escalation_policy_ids[]');
        const matching = fake.oncalls.filter(
          (o) =>
            (!schedules.length || schedules.includes(o.schedule?.id)) &&
            (!policies.length || policies.includes(o.escalation_policy?.id)),
        );
        const limit = Number(url.searchParams.get('limit') ?? fake.pageSize);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const page = matching.slice(offset, offset + limit);
        return send(200, { oncalls: page, limit, offset, more: offset + limit < matching.length, total: null });
      }
      if (req.method === 'GET' && url.pathname === '/calendar.ics') return send(200, fake.ical, 'text/calendar');
      send(404, { error: { message: 'Not Found' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}

/** An on-call entry as PagerDuty's `GET /oncalls?include[]=users` shapes it. */
export function oncallEntry(
  user: { id: string; email: string; name?: string },
  opts: { schedule?: string; policy?: string; level?: number } = {},
) {
  return {
    user: { id: user.id, type: 'user', summary: user.name ?? user.email, email: user.email, name: user.name },
    schedule: opts.schedule ? { id: opts.schedule, type: 'schedule_reference' } : null,
    escalation_policy: { id: opts.policy ?? 'PPOLICY', type: 'escalation_policy_reference' },
    escalation_level: opts.level ?? 1,
    start: '2026-01-01T00:00:00Z',
    end: null,
  };
}
