import { dryRunPrefix, type Notification } from '../../domain/notification/notification.js';

/**
 * The English a person reads in a plain-text channel (a chat webhook, the worker's log). Other
 * channels render the same structured notification their own way.
 */
export function renderText(n: Notification): string {
  const a = n.approval;
  const head = `${dryRunPrefix(n)}${n.title}`;
  const link = n.links?.console ?? n.links?.status ?? n.links?.temporalUi;
  const tail = link ? `\n${link}` : '';
  const by = n.actor ? ` by ${n.actor.name}${n.reason ? `: ${n.reason}` : ''}` : '';
  const asked = onCallText(n);
  switch (n.kind) {
    case 'approval.requested':
      return `${head}: approval needed for ${a?.stepId} from ${a?.tier}${asked} (${a?.id}, until ${a?.expiresAt})${describeAction(n)}${tail}`;
    case 'approval.reminder':
      return `${head}: reminder, approval for ${a?.stepId} still needed from ${a?.tier} (${a?.id}, until ${a?.expiresAt})${tail}`;
    case 'approval.escalated':
      return `${head}: approval for ${a?.stepId} escalated to ${a?.tier}${asked} (${a?.id}, until ${a?.expiresAt})${describeAction(n)}${tail}`;
    case 'approval.decided':
      return `${head}: ${a?.id} for ${a?.stepId} is ${a?.state}${by}${tail}`;
    case 'approval.progressed':
      return `${head}: ${a?.id} for ${a?.stepId} has ${a?.decisions.filter((d) => d.decision === 'approve').length} of ${a?.approversRequired} approvals${by}${tail}`;
    case 'approval.expired':
      return `${head}: nobody approved ${a?.stepId} in time (${a?.id}); it will not run${tail}`;
    case 'objection.window-opened':
      return `${head}: ${a?.stepId} runs at ${a?.expiresAt} unless someone objects (${a?.id})${describeAction(n)}${tail}`;
    case 'optout.engaged':
      return `${head}: automation opted out${by}${tail}`;
    case 'killswitch.engaged':
      return `Kill switch engaged${by}: no mitigation starts until it is released${tail}`;
    case 'mitigation.needs-human':
      return `${head}: ${describeUnknownEffect(n)}${tail}`;
  }
}

/** What happened to a lost mitigation and what a person can do, in one message (every channel says it). */
export function describeUnknownEffect(n: Notification): string {
  const u = n.unknownEffect;
  if (!u) return 'a mitigation needs a person';
  const options = u.options.map((o) => `${o.choice} (${o.does})`).join('; ');
  return (
    `${u.stepId} (${u.action}) started ${u.startedAt} was lost at ${u.lostAt} (${u.cause}): its effect is UNKNOWN. ` +
    `It will not be retried by itself. Choose: ${options}`
  );
}

function describeAction(n: Notification): string {
  const c = n.approval?.context;
  if (!c) return '';
  return `\n${c.action}: ${JSON.stringify(c.params)}${c.impact ? `\nImpact: ${c.impact}` : ''}`;
}

/** ` (on call: bob, erin)`, ` (nobody is on call)`, or nothing when no rotation is configured. */
function onCallText(n: Notification): string {
  const people = n.recipients[0]?.people;
  if (!people) return '';
  return people.length ? ` (on call: ${people.join(', ')})` : ' (nobody is on call)';
}
