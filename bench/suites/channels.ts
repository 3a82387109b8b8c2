import { rotationFileSchema } from '../../src/domain/oncall/rotation.js';
import { restartPlaybook, startInterlock } from '../../test/support/interlock.js';
import { responses } from '../../test/support/responses.js';
import { startTargetServer } from '../../test/support/target-server.js';
import { startFakeSlack } from '../../test/support/fake-slack.js';
import type { BenchSuite } from '../context.js';
import { percentile, report } from '../metrics.js';

const SECRET = 'bench-signing-secret';

/**
 * Approvals where people work, against the local stand-in for Slack's Web API:
 * - alert -> Slack request delivered: from POSTing the alert to the DM reaching the on-call
 *   approver (the chat.postMessage call arriving at the Slack stand-in);
 * - Slack decision vs API decision: from sending the modal submission (the person's "Approve"
 *   with a reason, signed as Slack signs it) to the mitigation request arriving at the target,
 *   beside the same decision through the HTTP API; medians of interleaved rounds.
 */
export const channelsSuite: BenchSuite = {
  description: 'alert-to-Slack-request latency, and a Slack decision vs the same decision through the API',
  async run({ stack, iterations = 20 }) {
    const target = await startTargetServer();
    const slack = await startFakeSlack({ users: { U0BOB: { name: 'bob' } } });
    const h = await startInterlock(stack, {
      playbooks: { 'restart.yaml': restartPlaybook(target.url) },
      onCall: rotationFileSchema.parse({
        tiers: {
          tier1: {
            timeZone: 'UTC',
            layers: [{ name: 'all', start: '2026-01-01T00:00', handoff: 'daily', people: ['bob'] }],
          },
        },
      }),
      slack: { apiUrl: slack.apiUrl, token: slack.token, signingSecret: SECRET, channel: 'C0BENCH' },
    });
    const r = responses(h);
    const dmOf = async () => {
      const opened = slack.callsTo('conversations.open').find((c) => c.args.users === 'U0BOB');
      return opened ? slack.messages.filter((m) => m.channel.startsWith('D')) : [];
    };
    const interact = async (payload: object) => {
      const body = slack.interactionBody(payload);
      const res = await fetch(`${h.baseUrl}/v1/integrations/slack/interactions`, {
        method: 'POST',
        headers: slack.signInteraction(SECRET, body),
        body,
      });
      if (res.status !== 200) throw new Error(`Slack interaction answered ${res.status}: ${await res.text()}`);
      return res.text();
    };
    /** When the mitigation's request reached the target (recorded there, not when a poll noticed it). */
    const mitigationFor = async (tag: string): Promise<number> => {
      const hit = () => target.received.find((x) => x.path === '/mitigations/restart' && x.body.includes(tag));
      await target.waitFor(() => hit() !== undefined, 20_000);
      return hit()!.arrivedAt;
    };
    const requested: number[] = [];
    const viaSlack: number[] = [];
    const viaApi: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const tagS = `slk-${i}-${Date.now()}`;
        const tagA = `api-${i}-${Date.now()}`;
        const dmsBefore = (await dmOf()).length;
        const t0 = Date.now();
        const s = await r.open(`bench-slack-${i}`, { labels: { incident_tag: tagS } });
        await target.waitFor(() => slack.messages.filter((m) => m.channel.startsWith('D')).length > dmsBefore, 10_000);
        const dm = slack.messages.filter((m) => m.channel.startsWith('D')).at(-1)!;
        requested.push(
          slack
            .callsTo('chat.postMessage')
            .filter((c) => String(c.args.channel).startsWith('D'))
            .at(-1)!.at - t0,
        );
        const a = await r.open(`bench-api-${i}`, { labels: { incident_tag: tagA } });
        const [, pa] = await Promise.all([r.pendingApproval(s), r.pendingApproval(a)]);

        const timeSlack = async () => {
          await interact(
            slack.blockActionsPayload({ user: 'U0BOB', actionId: 'interlock.approve', channel: dm.channel, ts: dm.ts }),
          );
          const submission = slack.viewSubmissionPayload({
            user: 'U0BOB',
            callbackId: 'interlock.decide',
            values: { reason: { value: 'benchmark from Slack' } },
          });
          const t = Date.now();
          await interact(submission);
          viaSlack.push((await mitigationFor(tagS)) - t);
        };
        const timeApi = async () => {
          const t = Date.now();
          const res = await r.decide(a, pa.id, 'bob', { decision: 'approve', reason: 'benchmark from the API' });
          if (res.status !== 200) throw new Error(`decision answered ${res.status}`);
          viaApi.push((await mitigationFor(tagA)) - t);
        };
        // Alternate which goes first, so neither always meets a warmer server.
        if (i % 2 === 0) {
          await timeSlack();
          await timeApi();
        } else {
          await timeApi();
          await timeSlack();
        }
        await Promise.all([r.result(s), r.result(a)]);
      }
    } finally {
      await h.stop();
      await slack.close();
      await target.close();
    }
    report('channel_request_p95_ms', percentile(requested, 95), 'ms', {
      runs: requested.length,
      p50: percentile(requested, 50),
      target: 1000,
    });
    report('channel_decision_vs_api_ratio', percentile(viaSlack, 50) / percentile(viaApi, 50), 'ratio', {
      runs: viaSlack.length,
      slack_p50_ms: percentile(viaSlack, 50),
      api_p50_ms: percentile(viaApi, 50),
      target: 1.2,
    });
  },
};
