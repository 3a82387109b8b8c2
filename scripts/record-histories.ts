/**
 * Records the event histories of representative responses into test/fixtures/histories, for the
 * replay test (test/unit/replay.test.ts) to replay against the current workflow code.
 *
 *   npx tsx scripts/record-histories.ts [--source DIR] [--out DIR] [--only name,name]
 *
 * --source  the tree whose workflows, activities and test support to run (default: this clone).
 *           To record from a given commit: `git worktree add /tmp/base <commit>`, link
 *           node_modules into it, and pass `--source /tmp/base`.
 * --out     where to write <scenario>.json (default: test/fixtures/histories/<source commit>/ of this
 *           clone: one folder per recorded set, each replayed by the test).
 * --only    record only these scenarios (the others' files are left as they are).
 *
 * Runs against a real Temporal and OpenSearch: TEMPORAL_ADDRESS (default 127.0.0.1:17233) and
 * OPENSEARCH_URL (default http://127.0.0.1:19200), i.e. the test stack
 * (`npm run stack -- up --profile test`). Each workflow has ended before its history is saved.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJsonObject } from '../test/support/history-json.js';

type InterlockModule = typeof import('../test/support/interlock.js');
type ResponsesModule = typeof import('../test/support/responses.js');
type TargetModule = typeof import('../test/support/target-server.js');
type Interlock = Awaited<ReturnType<InterlockModule['startInterlock']>>;

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    source: { type: 'string', default: path.resolve(here, '..') },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
const source = path.resolve(args.source!);
/** One folder per recorded set, named by the commit the workflows came from. */
const out = path.resolve(args.out ?? path.join(here, '../test/fixtures/histories', sourceRevision().split(' ')[0]!));

/** Import a module of the source tree (its own copy of the test support, hence of src/). */
const load = async <T>(relative: string): Promise<T> =>
  (await import(pathToFileURL(path.join(source, relative)).href)) as T;

function sourceRevision(): string {
  try {
    const commit = execFileSync('git', ['-C', source, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['-C', source, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'unknown';
  }
}

interface Context {
  h: Interlock;
  r: ReturnType<ResponsesModule['responses']>;
  target: Awaited<ReturnType<TargetModule['startTargetServer']>>;
}

interface Scenario {
  name: string;
  covers: string;
  /** Drives one response to its end; returns the workflow to save. */
  run(ctx: Context): Promise<WorkflowHandle>;
}

function expectThat(condition: boolean, what: string): void {
  if (!condition) throw new Error(`scenario went off script: ${what}`);
}

/** No scenario waits forever: a workflow stuck on failing tasks shows as an error. */
async function within<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function ok(res: Promise<{ status: number; body: unknown }>, expected = 200) {
  const answer = await res;
  expectThat(
    answer.status === expected,
    `answered ${answer.status} (expected ${expected}): ${JSON.stringify(answer.body)}`,
  );
  return answer.body as any;
}

/** The workflow ended CANCELED (an emergency stop): result() rejects. */
async function endedCancelled(handle: WorkflowHandle) {
  const failure = await within(
    handle.result().then(
      () => undefined,
      (err: unknown) => err,
    ),
    `${handle.workflowId} to end`,
  );
  expectThat(failure instanceof WorkflowFailedError, `expected a cancelled workflow, got ${String(failure)}`);
  expectThat((await handle.describe()).status.name === 'CANCELLED', 'status CANCELLED');
}

const incidentHandle = (ctx: Context, id: string) => ctx.h.client.workflow.getHandle(`incident-${id}`);

const SCENARIOS: Scenario[] = [
  {
    name: 'approved',
    covers: 'quorum of two tier1 approvers (one refused duplicate), the mitigation runs, verification, completed',
    async run(ctx) {
      const { r } = ctx;
      const id = await r.open('approved', { labels: { alertname: 'Quorum', incident_tag: 'rec-approved' } });
      const approval = await r.pendingApproval(id);
      await ok(r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'lag confirmed on the dashboard' }));
      await ok(r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'me again' }), 409);
      await ok(r.decide(id, approval.id, 'erin', { decision: 'approve', reason: 'second pair of eyes' }));
      const result = await within(r.result(id), `${id} to end`);
      expectThat(
        result.phase === 'completed' && result.stepsRun.includes('restart-replica'),
        `result ${JSON.stringify(result)}`,
      );
      return incidentHandle(ctx, id);
    },
  },
  {
    name: 'rejected',
    covers: 'the approver rejects the mitigation: it does not run, the response completes',
    async run(ctx) {
      const { r } = ctx;
      const id = await r.open('rejected', { labels: { alertname: 'Approval', incident_tag: 'rec-rejected' } });
      const approval = await r.pendingApproval(id);
      await ok(r.decide(id, approval.id, 'bob', { decision: 'reject', reason: 'lag is from a backup, not a fault' }));
      const result = await within(r.result(id), `${id} to end`);
      expectThat(!result.stepsRun.includes('restart-replica'), `result ${JSON.stringify(result)}`);
      return incidentHandle(ctx, id);
    },
  },
  {
    name: 'opted-out',
    covers:
      'halt-now opt-out interrupts the running mitigation (request aborted), then opt-in resumes with the verification, completed',
    async run(ctx) {
      const { r, target } = ctx;
      const id = await r.open('opted-out', { labels: { alertname: 'HeldRestart', incident_tag: 'rec-optout' } });
      const approval = await r.pendingApproval(id);
      await ok(r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'restart it' }));
      await target.waitFor(() => target.requestsTo('/mitigations/restart-held').length > 0);
      await ok(r.post(id, 'opt-out', 'alice', { reason: 'failover drill in progress, hands off', mode: 'halt-now' }));
      await target.waitFor(() => target.requestsTo('/mitigations/restart-held')[0]!.aborted, 10_000);
      await r.until(id, (s) => s.phase === 'opted-out');
      await ok(r.post(id, 'opt-in', 'bob', { reason: 'drill over, resume' }));
      const result = await within(r.result(id), `${id} to end`);
      expectThat(
        result.phase === 'completed' && result.stepsRun.includes('verify-lag'),
        `result ${JSON.stringify(result)}`,
      );
      return incidentHandle(ctx, id);
    },
  },
  {
    name: 'escalated',
    covers: 'tier1 does not answer: reminder, escalation to lead, a lead approves, the mitigation runs, completed',
    async run(ctx) {
      const { r } = ctx;
      const id = await r.open('escalated', { labels: { alertname: 'Escalate', incident_tag: 'rec-escalate' } });
      const first = await r.pendingApproval(id);
      await ok(r.decide(id, first.id, 'lee', { decision: 'approve', reason: 'too early' }), 403);
      await r.until(id, (s) => s.approvals?.[0]?.tier === 'lead');
      await ok(r.decide(id, first.id, 'lee', { decision: 'approve', reason: 'lead says go' }));
      const result = await within(r.result(id), `${id} to end`);
      expectThat(
        result.phase === 'completed' && result.stepsRun.includes('restart-replica'),
        `result ${JSON.stringify(result)}`,
      );
      return incidentHandle(ctx, id);
    },
  },
  {
    name: 'kill-switch',
    covers:
      'an automatic mitigation is running when the kill switch is engaged: interrupted, blocked, run again after the release, completed',
    async run(ctx) {
      const { r, target, h } = ctx;
      const id = await r.open('kill-switch', { labels: { alertname: 'AutoRestart', incident_tag: 'rec-killswitch' } });
      await target.waitFor(() => target.requestsTo('/mitigations/restart-slow').length === 1);
      await ok(
        h.request('POST', '/v1/guardrails/kill-switch', {
          as: 'alice',
          body: { reason: 'automation misbehaving in prod' },
        }),
      );
      await target.waitFor(() => target.requestsTo('/mitigations/restart-slow')[0]!.aborted, 10_000);
      await r.until(id, (s) => s.phase === 'blocked');
      await ok(h.request('DELETE', '/v1/guardrails/kill-switch', { as: 'ada', body: { reason: 'root cause fixed' } }));
      const result = await within(r.result(id), `${id} to end`);
      expectThat(
        result.phase === 'completed' && target.requestsTo('/mitigations/restart-slow').length === 2,
        `result ${JSON.stringify(result)}`,
      );
      return incidentHandle(ctx, id);
    },
  },
  {
    name: 'cancelled-with-compensation',
    covers:
      'the mitigation succeeded, the verification is running: emergency stop interrupts it, the compensation runs, CANCELED',
    async run(ctx) {
      const { r, target } = ctx;
      const id = await r.open('cancelled', { labels: { alertname: 'Compensated', incident_tag: 'rec-cancel' } });
      const approval = await r.pendingApproval(id);
      await ok(r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'go ahead' }));
      await r.until(id, (s) => s.steps?.[2]?.state === 'running');
      await ok(r.post(id, 'cancel', 'alice', { reason: 'wrong cluster entirely' }), 202);
      const handle = incidentHandle(ctx, id);
      await endedCancelled(handle);
      expectThat(target.requestsTo('/mitigations/undo-restart').length === 1, 'the compensation ran once');
      return handle;
    },
  },
  {
    name: 'dry-run',
    covers:
      'dry run: the diagnostic marked safeInDryRun runs, the approval is asked and granted, the mitigation and the unmarked verification are only simulated (sets before dry-run-safe-steps-only: every read-only step ran), completed',
    async run(ctx) {
      const { r } = ctx;
      const id = await r.open('dry-run', {
        labels: { alertname: 'DryRun', incident_tag: 'rec-dry' },
        query: '?dryRun=true',
      });
      const approval = await r.pendingApproval(id);
      await ok(r.decide(id, approval.id, 'bob', { decision: 'approve', reason: 'rehearsal' }));
      const result = await within(r.result(id), `${id} to end`);
      const s = await r.status(id);
      expectThat(
        result.phase === 'completed' &&
          s.dryRun === true &&
          s.steps.map((x: any) => x.state).join() === 'succeeded,simulated,simulated',
        `status ${JSON.stringify(s.steps)}`,
      );
      return incidentHandle(ctx, id);
    },
  },
];

/** The control workflow itself, after the scenarios (the kill switch was engaged and released). */
const GUARDRAILS = {
  name: 'guardrails',
  covers:
    'the guardrails control workflow: standing rules loaded, kill switch engaged, broadcast, released (then terminated: it never ends by itself)',
};

async function main() {
  const only = args.only ? new Set(args.only.split(',')) : undefined;
  const known = new Set([...SCENARIOS.map((s) => s.name), GUARDRAILS.name]);
  for (const name of only ?? [])
    if (!known.has(name)) throw new Error(`unknown scenario "${name}" (known: ${[...known].join(', ')})`);
  const wanted = (name: string) => !only || only.has(name);

  const { startInterlock, restartPlaybook } = await load<InterlockModule>('test/support/interlock.ts');
  const { responses } = await load<ResponsesModule>('test/support/responses.ts');
  const { startTargetServer } = await load<TargetModule>('test/support/target-server.ts');
  const revision = sourceRevision();
  console.log(`recording from ${source} (${revision}) into ${out}`);

  const target = await startTargetServer();
  target.holdOpen('/mitigations/restart-held');
  target.respondAfter('/mitigations/restart-slow', 1500);
  target.holdOpen('/verify/lag-held');

  /** One playbook per scenario, told apart by alertname; `paths` rewrites target paths. */
  const playbook = (
    alertname: string,
    opts: Parameters<InterlockModule['restartPlaybook']>[1],
    paths: Record<string, string> = {},
  ) => {
    let yaml = restartPlaybook(target.url, { alertname, extraStep: true, ...opts }).replace(
      'id: restart-replica\n',
      `id: ${alertname.toLowerCase()}\n`,
    );
    for (const [from, to] of Object.entries(paths)) yaml = yaml.replaceAll(from, to);
    return yaml;
  };
  const h = await startInterlock(
    {
      temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:17233',
      opensearchUrl: process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:19200',
      auditIndexPrefix: process.env.AUDIT_INDEX_PREFIX ?? 'audit-events',
    },
    {
      playbooks: {
        'quorum.yaml': playbook('Quorum', { approvers: 2 }),
        'approval.yaml': playbook('Approval', {}),
        'dry-run.yaml': playbook('DryRun', { safeInDryRun: true }),
        'held.yaml': playbook(
          'HeldRestart',
          { mitigationTimeout: '60s' },
          { '/mitigations/restart': '/mitigations/restart-held' },
        ),
        'escalate.yaml': playbook('Escalate', {
          approvalTimeout: '1500ms',
          escalation: ['lead'],
          remindAfter: '500ms',
        }),
        'auto.yaml': playbook(
          'AutoRestart',
          { policy: '{ mode: auto }' },
          { '/mitigations/restart': '/mitigations/restart-slow' },
        ),
        'compensated.yaml': playbook('Compensated', { compensation: true }, { '/verify/lag': '/verify/lag-held' }),
      },
      // Without a policy the default asks for approval; here each playbook step decides.
      policy: 'default: { mode: auto }',
      standingRules: [
        {
          id: 'no-friday-deploys',
          selector: { service: 'release-train' },
          effect: 'block',
          reason: 'recorded fixture: a standing rule',
        },
      ],
    },
  );
  const ctx: Context = { h, r: responses(h), target };
  const save = async (name: string, covers: string, handle: WorkflowHandle) => {
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const fixture = {
      scenario: name,
      covers,
      workflowType: description.type,
      workflowId: handle.workflowId,
      status: description.status.name,
      recordedFrom: revision,
      events: history.events?.length ?? 0,
      history: historyToJsonObject(history),
    };
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
    console.log(`  ${name}: ${description.type} ${description.status.name}, ${fixture.events} events`);
  };

  try {
    for (const scenario of SCENARIOS.filter((s) => wanted(s.name))) {
      const started = Date.now();
      const handle = await scenario.run(ctx);
      const { status } = await handle.describe();
      expectThat(status.name === 'COMPLETED' || status.name === 'CANCELLED', `${scenario.name} ended ${status.name}`);
      await save(scenario.name, scenario.covers, handle);
      console.log(`    (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    if (wanted(GUARDRAILS.name)) {
      const handle = h.client.workflow.getHandle(h.guardrailsWorkflowId);
      if (!wanted('kill-switch')) {
        await ok(
          h.request('POST', '/v1/guardrails/kill-switch', {
            as: 'alice',
            body: { reason: 'recording the control workflow' },
          }),
        );
        await ok(h.request('DELETE', '/v1/guardrails/kill-switch', { as: 'ada', body: { reason: 'recorded' } }));
      }
      // Let the last broadcast finish, then end the control workflow as the harness does. It
      // runs until terminated: cancelling it leaves its broadcaster's rejected promise unhandled
      // and every workflow task fails ("Unhandled Promise rejection: CancelledFailure").
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await handle.terminate('fixture recorded');
      await save(GUARDRAILS.name, GUARDRAILS.covers, handle);
    }
  } finally {
    await h.stop();
    await target.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
