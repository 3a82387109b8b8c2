import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { ROUTES } from '../contract.js';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { decideUpdate, statusQuery } from '../../contracts/incident-response.js';
import type { Actor } from '../../domain/actor/actor.js';
import { approvalFacts, outcomeText } from '../../domain/notification/approval-facts.js';
import { reasonSchema } from '../../domain/response/inputs.js';
import type { ApprovalRequest } from '../../domain/response/status.js';
import { checkInputValue, type InputSpec } from '../../domain/playbook/playbook.js';
import {
  emailTokenHash,
  type EmailTokenRecord,
  type EmailTokenStore,
  type TokenRefusal,
} from '../../clients/opensearch/email-tokens.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { BrowserSignIn } from '../auth/browser-session.js';
import { actorFor, type PrincipalDirectory } from '../auth/principals.js';
import { toHttpError } from '../errors.js';
import { withDeadline } from '../mount.js';
import type { WorkflowInputs } from '../workflow-inputs.js';
import { decisionFormPage, messagePage, type SignInNote } from './email-pages.js';
import { emailRefusalRecorder } from './email-refusals.js';
import type { AuditStore } from '../../clients/opensearch/audit-store.js';

const EMAIL_DECISION_PATH = ROUTES.emailDecide.path;

export interface EmailDecisionDependencies {
  inputs: WorkflowInputs;
  tokens: Pick<EmailTokenStore, 'find' | 'claim'>;
  principals: PrincipalDirectory;
  authenticator: Authenticator;
  /** Browser sign-in (unset: sign-in tiers need a bearer header, as before it existed). */
  signIn?: BrowserSignIn;
  /** Tiers whose decisions by email also need the person authenticated (EMAIL_SIGNIN_TIERS). */
  signInTiers: string[];
  audit: Pick<AuditStore, 'createEvent'>;
  log: Logger;
}

const REFUSED: Record<TokenRefusal, { status: number; message: string }> = {
  unknown: { status: 404, message: 'This link is not known. Use the link from the newest mail about this request.' },
  used: { status: 410, message: 'This link has already been used: each link decides once.' },
  expired: { status: 410, message: 'This link has expired together with the request it was sent for.' },
};

/** Thrown inside a handler to answer with a page; the token in the URL never reaches a log. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly facts?: ReturnType<typeof approvalFacts>,
  ) {
    super(message);
  }
}

/**
 * Decisions from an emailed link. The token in the URL is the credential (no bearer needed),
 * single-use, and bound to one person and one approval request. Reading the page (GET, and
 * HEAD, which Express answers with the GET handler minus the body) never spends it: mail
 * security scanners open every link. Only the form's POST claims it, and then decides through
 * the same signed update as every other channel; the workflow judges tier, quorum and expiry.
 */
export function emailDecisionRoutes(app: Express, deps: EmailDecisionDependencies, limit: RequestHandler): void {
  // Per link, on top of the gateway's limit for unauthenticated callers: hammering one link gets nowhere.
  const perLink = rateLimit({
    windowMs: 60_000,
    limit: 30,
    keyGenerator: (req) => `email:${emailTokenHash(String(req.params.token)).slice(0, 32)}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => page(res, 429, 'Too many requests', 'This link was opened too often; wait a minute.'),
  });
  const recordRefusal = emailRefusalRecorder(deps.audit, deps.log);
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

  app[ROUTES.emailDecisionPage.method](ROUTES.emailDecisionPage.path, limit, perLink, guarded(deps.log, show));
  app[ROUTES.emailDecide.method](ROUTES.emailDecide.path, limit, perLink, form, guarded(deps.log, decide));

  async function lookup(req: Request) {
    const hash = emailTokenHash(String(req.params.token));
    const found = await deps.tokens.find(hash);
    if (!found.record) throw refusedPage('unknown');
    return { hash, ...found, record: found.record };
  }

  async function liveApproval(record: EmailTokenRecord) {
    const handle = deps.inputs.handleFor(record.incidentId);
    const status = await withDeadline(handle.query(statusQuery));
    const approval = status.approvals.find((a) => a.id === record.approvalId);
    if (!approval) throw new PageError(404, 'Not found', 'The request this link was sent for no longer exists.');
    return { handle, approval };
  }

  async function show(req: Request, res: Response) {
    const { lookup: verdict, record } = await lookup(req);
    const { approval } = await liveApproval(record);
    const facts = approvalFacts(approval);
    if (approval.state !== 'pending') return page(res, 200, 'Already decided', outcomeText(approval), facts);
    if (!verdict.ok)
      return page(res, REFUSED[verdict.reason].status, 'Link not usable', REFUSED[verdict.reason].message, facts);
    const preselect =
      req.query.decision === 'approve' || req.query.decision === 'reject' ? req.query.decision : undefined;
    res
      .status(200)
      .type('html')
      .send(
        decisionFormPage({
          facts,
          adjustable: approval.context.adjustable as Record<string, InputSpec>,
          current: approval.inputs,
          preselect,
          signIn: deps.signInTiers.includes(approval.tier) ? await signInNote(req, record) : { kind: 'not-required' },
        }),
      );
  }

  async function decide(req: Request, res: Response) {
    const { hash, lookup: verdict, record } = await lookup(req);
    const { handle, approval } = await liveApproval(record);
    const principal = deps.principals.byId(record.personId);
    // Someone removed from the principals file since the mail went out may no longer act.
    const who: Actor = principal
      ? actorFor(principal, 'email')
      : { id: record.personId, name: record.personId, channel: 'email', roles: [], groups: [], teams: [] };
    // Refused here, before the workflow could be asked: recorded all the same (who and why, never the link).
    const refuse = async (status: number, title: string, message: string): Promise<never> => {
      await recordRefusal(handle, approval, who, `email link: ${message}`);
      throw new PageError(status, title, message, approvalFacts(approval));
    };
    if (!verdict.ok) await refuse(REFUSED[verdict.reason].status, 'Link not usable', REFUSED[verdict.reason].message);
    if (!principal) await refuse(403, 'Not allowed', `${record.personId} is no longer in Interlock's principals file.`);

    // Validate before spending the link: a missing reason must leave it usable.
    const body = parseForm(req.body, approval);
    if (approval.state !== 'pending') await refuse(409, 'Already decided', outcomeText(approval));
    if (deps.signInTiers.includes(approval.tier)) await requireSignIn(req, record, approval.tier, refuse);

    const claimed = await deps.tokens.claim(hash);
    if (!claimed.ok) await refuse(REFUSED[claimed.reason].status, 'Link not usable', REFUSED[claimed.reason].message);
    try {
      // The approval comes from the token's record, never from the form.
      const decided = await deps.inputs.update(handle, decideUpdate, {
        approvalId: record.approvalId,
        ...body,
        actor: who,
      });
      page(
        res,
        200,
        'Decision recorded',
        `You ${body.decision}d: ${body.reason}. The request is now ${decided.state}.`,
        approvalFacts(decided),
      );
    } catch (err) {
      const http = toHttpError(err);
      if (!http) throw err;
      // The workflow's refusal (wrong tier, own request, expired…), already recorded in its trail.
      throw new PageError(http.status, 'Not decided', http.message, approvalFacts(approval));
    }
  }

  /** What the page says about signing in, for a tier that needs it. */
  async function signInNote(req: Request, record: EmailTokenRecord): Promise<SignInNote> {
    if (!deps.signIn) return { kind: 'bearer' };
    const current = await deps.signIn.session(req);
    if (current?.principal.id === record.personId)
      return { kind: 'signed-in', as: current.principal.name, csrf: current.csrf };
    return {
      kind: 'needed',
      person: deps.principals.byId(record.personId)?.name ?? record.personId,
      // Back to this very page (token and preselection included): a path on this gateway.
      loginHref: deps.signIn.loginHref(req.originalUrl),
      signedInAs: current?.principal.name,
    };
  }

  /**
   * The link proves the mail reached the inbox; sign-in tiers also want the person themself: a
   * bearer header (API clients), or a browser session of that same person, which, being a
   * cookie any site's form would carry along, only counts with the CSRF token of its own page.
   */
  async function requireSignIn(
    req: Request,
    record: EmailTokenRecord,
    tier: string,
    refuse: (status: number, title: string, message: string) => Promise<never>,
  ) {
    const bearer = req.get('authorization')?.match(/^Bearer (\S+)$/i)?.[1];
    if (bearer) {
      const outcome = await deps.authenticator(bearer);
      if (!outcome.ok || outcome.principal.id !== record.personId)
        await refuse(401, 'Sign-in required', signInMessage(tier));
      return;
    }
    const current = await deps.signIn?.session(req);
    if (!current) return refuse(401, 'Sign-in required', signInMessage(tier));
    if (current.principal.id !== record.personId)
      return refuse(
        401,
        'Sign-in required',
        `You are signed in as ${current.principal.name}; this link was sent to ${deps.principals.byId(record.personId)?.name ?? record.personId}.`,
      );
    if (!deps.signIn!.csrfMatches(current, (req.body as Record<string, unknown> | undefined)?.csrf))
      await refuse(
        403,
        'Not decided',
        'The form did not come from this page (CSRF token missing or wrong). Reload it.',
      );
  }
}

function signInMessage(tier: string): string {
  return `Decisions for ${tier} requests by email also need you signed in as the person this link was sent to: open the link in your browser and sign in, or send an Authorization: Bearer API token or OIDC token.`;
}

/**
 * decision, reason and the step's adjustable inputs (`input.<name>`, empty = unchanged), typed
 * by the step's input declarations. Values are checked with the same function the workflow uses,
 * so a typo is a 400 that leaves the link usable rather than a refusal that spends it; the
 * workflow still checks them itself.
 */
function parseForm(raw: unknown, approval: ApprovalRequest) {
  const form = (raw ?? {}) as Record<string, unknown>;
  const still = 'Your link is still valid.';
  const decision = form.decision;
  if (decision !== 'approve' && decision !== 'reject')
    throw new PageError(400, 'Not decided', `Choose Approve or Reject. ${still}`);
  const reason = reasonSchema.safeParse(typeof form.reason === 'string' ? form.reason : '');
  if (!reason.success) throw new PageError(400, 'Not decided', `${reason.error.issues[0]!.message}. ${still}`);
  const inputs: Record<string, string | number | boolean> = {};
  // Adjusting only means something when approving (the workflow refuses it with a rejection).
  const specs = decision === 'approve' ? (approval.context.adjustable as Record<string, InputSpec>) : {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = form[`input.${name}`];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const text = raw.trim();
    const value =
      spec.type === 'integer' || spec.type === 'number'
        ? Number(text)
        : spec.type === 'boolean'
          ? text === 'true'
            ? true
            : text === 'false'
              ? false
              : text
          : text;
    const problem = checkInputValue(spec, value);
    if (problem) throw new PageError(400, 'Not decided', `${name} ${problem}. ${still}`);
    inputs[name] = value;
  }
  return { decision, reason: reason.data, ...(Object.keys(inputs).length ? { inputs } : {}) } as const;
}

function refusedPage(reason: TokenRefusal) {
  return new PageError(REFUSED[reason].status, 'Link not usable', REFUSED[reason].message);
}

function page(res: Response, status: number, title: string, message: string, facts?: ReturnType<typeof approvalFacts>) {
  res
    .status(status)
    .type('html')
    .send(messagePage(title, message, facts));
}

/** Pages for every outcome, headers that keep the link out of caches and referrers, and logs without the URL. */
function guarded(log: Logger, handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res) => {
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex' });
    try {
      await handler(req, res);
    } catch (err) {
      if (err instanceof PageError) return page(res, err.status, err.title, err.message, err.facts);
      const http = toHttpError(err);
      if (http) return page(res, http.status, 'Not available', http.message);
      // The path holds the token: log the method and the error, never the URL.
      log.error({ err, method: req.method, route: EMAIL_DECISION_PATH }, 'email decision failed');
      page(
        res,
        500,
        'Something went wrong',
        'Nothing was decided by this page. Try again, or decide in another channel.',
      );
    }
  };
}
