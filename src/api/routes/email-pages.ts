import type { Fact } from '../../domain/notification/approval-facts.js';
import { escapeHtml, factsTable } from '../../clients/notify/email/html.js';
import type { InputSpec } from '../../domain/playbook/playbook.js';

/**
 * The pages behind an emailed decision link. Self-contained (inline style only, no script, no
 * external resource) so they render under helmet's default Content-Security-Policy and leak
 * nothing to a third party; the form posts back to the page's own URL (`form-action 'self'`).
 */
function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Interlock</title>
<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}th{white-space:nowrap}
textarea{width:100%;min-height:5rem}.msg{padding:.5rem 1rem;border-left:4px solid #c60;background:#fff4e5}
button{font-size:1rem;padding:.4rem 1.2rem;margin-right:1rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** What a sign-in tier's page says about who is signed in (see EMAIL_SIGNIN_TIERS). */
export type SignInNote =
  | { kind: 'not-required' }
  /** Browser sign-in is not configured on this gateway: only a bearer header can do it. */
  | { kind: 'bearer' }
  | { kind: 'needed'; person: string; loginHref: string; signedInAs?: string }
  | { kind: 'signed-in'; as: string; csrf: string };

export function decisionFormPage(opts: {
  facts: Fact[];
  adjustable: Record<string, InputSpec>;
  current: Record<string, unknown>;
  preselect?: 'approve' | 'reject';
  signIn: SignInNote;
}): string {
  const note = opts.signIn;
  if (note.kind === 'needed')
    // No form: a decision from this browser would be refused, and the link would look usable.
    return layout(
      'Sign in to decide',
      `<p class="msg">${note.signedInAs ? `You are signed in as ${escapeHtml(note.signedInAs)}, but this link was sent to ${escapeHtml(note.person)}. ` : ''}This tier needs the person the link was sent to.</p>
<p><a href="${escapeHtml(note.loginHref)}">Sign in as ${escapeHtml(note.person)} to decide</a></p>
${factsTable(opts.facts)}`,
    );
  const inputs = Object.entries(opts.adjustable)
    .map(([name, spec]) => {
      const now = opts.current[name] ?? spec.default;
      return `<p><label>${escapeHtml(name)} (${escapeHtml(describeSpec(spec))}; now ${escapeHtml(JSON.stringify(now))})<br>
<input name="input.${escapeHtml(name)}" placeholder="${escapeHtml(String(now))}"></label></p>`;
    })
    .join('\n');
  const chosen = opts.preselect
    ? `<p class="msg">You chose <strong>${opts.preselect}</strong> in the mail. Nothing is decided until you confirm below.</p>`
    : '';
  const signIn =
    note.kind === 'bearer'
      ? `<p class="msg">This tier also needs you signed in: send the form with your Interlock API token (Authorization: Bearer). Browser sign-in is not configured on this gateway.</p>`
      : note.kind === 'signed-in'
        ? `<p>Signed in as ${escapeHtml(note.as)}.</p>`
        : '';
  // Bound to the session: a form another site makes cannot know it.
  const csrf = note.kind === 'signed-in' ? `<input type="hidden" name="csrf" value="${escapeHtml(note.csrf)}">\n` : '';
  return layout(
    'Approval requested',
    `${chosen}${signIn}
${factsTable(opts.facts)}
<form method="post">
${csrf}<p><label>Reason (required)<br><textarea name="reason" required minlength="3" maxlength="2000"></textarea></label></p>
${inputs ? `<fieldset><legend>Adjust inputs (optional; leave empty to keep)</legend>\n${inputs}\n</fieldset>` : ''}
<p><button type="submit" name="decision" value="approve"${opts.preselect === 'approve' ? ' autofocus' : ''}>Approve</button>
<button type="submit" name="decision" value="reject"${opts.preselect === 'reject' ? ' autofocus' : ''}>Reject</button></p>
</form>`,
  );
}

/** Anything but the form: an outcome, a refusal, or the request's current state. */
export function messagePage(title: string, message: string, facts?: Fact[]): string {
  return layout(title, `<p class="msg">${escapeHtml(message)}</p>${facts ? factsTable(facts) : ''}`);
}

function describeSpec(spec: InputSpec): string {
  switch (spec.type) {
    case 'integer':
    case 'number':
      return [spec.type, spec.min !== undefined && `min ${spec.min}`, spec.max !== undefined && `max ${spec.max}`]
        .filter(Boolean)
        .join(', ');
    case 'string':
      return spec.enum ? `one of ${spec.enum.join(', ')}` : spec.pattern ? `matching ${spec.pattern}` : 'text';
    case 'boolean':
      return 'true or false';
  }
}
