import { TERMINAL_PHASES } from '../contracts/phases.js';
import type { ResponseStatus } from '../domain/response/status.js';
import type { Api } from './api.js';
import { CliError, EXIT } from './errors.js';
import { info } from './output.js';

/**
 * There is no server-sent-events route, so watching is polling the status route. Each poll is
 * reduced to a set of facts (phase, each step's state, each approval's state, opt-outs,
 * blockers) and only facts that changed since the previous poll are printed.
 */
export async function watch(api: Api, id: string, opts: { interval: number; json?: boolean }): Promise<void> {
  const path = `/v1/incidents/${encodeURIComponent(id)}`;
  let previous = new Map<string, string>();
  let failures = 0;
  for (;;) {
    let status: ResponseStatus;
    try {
      status = await api.json<ResponseStatus>('GET', path);
      failures = 0;
    } catch (err) {
      // A blip of the gateway should not end a watch; a refusal (404, 401) should.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.server || ++failures > 5) throw err;
      info(`(retrying: ${err.message})`);
      await sleep(opts.interval);
      continue;
    }
    const current = facts(status);
    const changed = [...current].filter(
      // "blocked-by nothing" is news only once something had blocked.
      ([key, value]) =>
        previous.get(key) !== value && !(key === 'blocked-by' && !previous.has(key) && value === 'nothing'),
    );
    if (changed.length) {
      if (opts.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else for (const [key, value] of changed) process.stdout.write(`${time()} ${key} ${value}\n`);
    }
    previous = current;
    if (TERMINAL_PHASES.has(status.phase)) return;
    await sleep(opts.interval);
  }
}

function facts(s: ResponseStatus): Map<string, string> {
  const m = new Map<string, string>();
  for (const step of s.steps) m.set(`step ${step.id}`, step.state + (step.note ? ` (${step.note})` : ''));
  for (const a of s.approvals) {
    const yes = a.decisions.filter((d) => d.decision === 'approve').length;
    m.set(`approval ${a.id}`, `${a.state} (${yes} of ${a.approversRequired}, tier ${a.tier})`);
  }
  for (const o of s.optOuts) m.set(`opt-out ${o.id}`, `${o.active ? 'active' : 'released'} ${o.mode} by ${o.actor.id}`);
  m.set('blocked-by', s.blockedBy?.length ? s.blockedBy.join('; ') : 'nothing');
  // Last, so "phase completed" is the final line, after the step that completed it.
  m.set('phase', s.phase);
  return m;
}

const time = () => new Date().toISOString().slice(11, 19);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
