import { formatDuration, formatInputs, formatTime } from './format.js';
import { requestHistory, type DecisionReview, type EventRef, type IncidentReview } from './report.js';

/**
 * The review as Markdown, for pasting into a postmortem document. Text that came from people
 * or alerts (reasons, names, summaries) is kept on one line with its markup characters and table
 * pipes escaped, so it cannot break the layout of the document it is pasted into.
 */
export function reviewMarkdown(r: IncidentReview): string {
  const out: string[] = [];
  out.push(`# Incident review: ${inline(r.title)}`, '');
  out.push('| | |', '| --- | --- |');
  out.push(`| Incident | \`${r.incidentId}\` |`);
  out.push(`| Service | ${cell(r.service)} / ${cell(r.environment)}, severity ${cell(r.severity)} |`);
  out.push(`| Opened | ${formatTime(r.openedAt)} |`);
  out.push(`| Ended | ${r.endedAt ? `${formatTime(r.endedAt)} (${formatDuration(r.durationMs!)})` : 'still open'} |`);
  out.push(`| Outcome | ${cell(r.outcome)} |`);
  out.push(`| Report generated | ${formatTime(r.generatedAt)} |`, '');

  if (r.live) {
    out.push('## Now', '', `Phase: ${r.live.phase}.`);
    for (const w of r.live.waitingFor)
      out.push(
        `- Waiting for ${w.approvalId} (${w.stepId}) from tier ${w.tier}` +
          `${w.people.length ? ` (${w.people.join(', ')})` : ''}, until ${formatTime(w.expiresAt)}`,
      );
    for (const b of r.live.blockedBy) out.push(`- Blocked by: ${inline(b)}`);
    out.push('');
  }

  out.push('## Decisions', '');
  if (r.decisions.length === 0) out.push('Nobody made a decision.', '');
  r.decisions.forEach((d, i) => out.push(...decision(d, i + 1), ''));

  out.push('## Requests', '');
  if (r.requests.length === 0) out.push('No approval was requested.', '');
  for (const q of r.requests) {
    out.push(
      `- **${q.approvalId}**${q.stepId ? ` (${q.stepId})` : ''}: ${q.kind} requested ${formatTime(q.requestedAt)}, ` +
        `${q.outcome}${q.closedAt ? ` at ${formatTime(q.closedAt)}` : ''}`,
    );
    for (const h of requestHistory(q)) out.push(`  - ${formatTime(h.time)} ${inline(h.text)}`);
  }
  out.push('');

  out.push('## Notified, never answered', '');
  if (r.unanswered.length === 0) out.push('Everyone notified answered.');
  for (const u of r.unanswered)
    out.push(
      `- ${u.person}: ${u.approvalId}${u.stepId ? ` (${u.stepId})` : ''}, notified ${formatTime(u.firstNotifiedAt)}; ` +
        `the request was ${u.requestOutcome}${u.actedElsewhere ? '; acted elsewhere in this incident' : ''}`,
    );
  out.push('');

  out.push('## Guardrails that blocked', '');
  if (r.guardrailBlocks.length === 0) out.push('None.');
  for (const g of r.guardrailBlocks) out.push(`- ${line(g)}`);
  out.push('');

  out.push('## Compensations', '');
  if (r.compensations.length === 0) out.push('None.');
  for (const c of r.compensations)
    out.push(`- ${line(c)}${c.ok ? '' : ' (FAILED)'}${c.cause ? `, after ${c.cause.type}` : ''}`);
  out.push('');

  out.push('## Timeline', '', '| Time | + | Event | Who | What |', '| --- | --- | --- | --- | --- |');
  for (const e of r.timeline)
    out.push(
      `| ${formatTime(e.time)} | ${formatDuration(e.offsetMs)} | ${e.type} | ${cell(e.actor.name)} (${e.actor.channel}) | ` +
        `${cell(e.summary)}${e.reason ? ` “${cell(e.reason)}”` : ''} |`,
    );
  return `${out.join('\n')}\n`;
}

function decision(d: DecisionReview, n: number): string[] {
  const lines = [
    `### ${n}. ${inline(d.actor.name)} ${d.verb}${d.approvalId ? ` ${d.approvalId}` : d.stepId ? ` ${d.stepId}` : ''}`,
    '',
    `- Who: ${inline(d.actor.name)} (\`${d.actor.id}\`) through ${d.actor.channel}, at ${formatTime(d.time)}`,
    `- Latency: ${[
      d.sinceRequestMs !== undefined ? `${formatDuration(d.sinceRequestMs)} after the request` : undefined,
      d.sinceFirstNotificationMs !== undefined
        ? `${formatDuration(d.sinceFirstNotificationMs)} after the first notification`
        : undefined,
      `${formatDuration(d.sinceOpenedMs)} after the response opened`,
    ]
      .filter(Boolean)
      .join('; ')}`,
  ];
  if (d.reason) lines.push(`- Reason: “${inline(d.reason)}”`);
  if (d.adjustedInputs) lines.push(`- Adjusted inputs: ${inline(formatInputs(d.adjustedInputs))}`);
  if (d.inputs) lines.push(`- Inputs decided on: ${inline(formatInputs(d.inputs))}`);
  if (d.stepOutcome) lines.push(`- Step outcome: ${line(d.stepOutcome)}`);
  if (d.resolvedAfter)
    lines.push(`- Resolved ${formatDuration(d.resolvedAfter.afterMs)} later: ${inline(d.resolvedAfter.summary)}`);
  if (d.followedBy.length) {
    lines.push('- Followed by:');
    for (const f of d.followedBy) lines.push(`  - ${line(f)}`);
  }
  return lines;
}

const line = (e: EventRef) => `${formatTime(e.time)} ${e.type}: ${inline(e.summary)}`;
/**
 * One line of text from people or alerts: no line break that would end a list item or a table
 * row, and Markdown's markup characters escaped (a `*` in "webhook to *" or a `_` in a reason
 * must not turn the rest of the line italic; `<` must not become HTML where it is rendered).
 */
const inline = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
const cell = (text: string) => inline(text).replace(/\|/g, '\\|');
