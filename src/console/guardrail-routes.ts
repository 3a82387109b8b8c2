import type { Router } from 'express';
import * as g from '../contracts/guardrails.js';
import { actorFor } from '../api/auth/principals.js';
import { ROUTES } from '../api/contract.js';
import { html } from './html.js';
import { liveStream } from './live.js';
import { controlForms, guardrailControls, guardrailsLive } from './pages/other.js';
import type { ConsoleDependencies } from './routes.js';
import { allowed, str, type ConsoleKit } from './kit.js';

/** The guardrails page: the kill switch, pauses, rules and freezes. */
export function guardrailPages(router: Router, deps: ConsoleDependencies, kit: ConsoleKit) {
  const { current, controls, page, post, form } = kit;
  router.get('/guardrails', async (req, res) => {
    const c = await deps.guardrails.controls();
    const roles = current(res).principal.roles;
    await page(
      res,
      'Guardrails',
      html`<section data-live="/console/live/guardrails" aria-live="polite">${guardrailsLive(c)}</section>
        ${guardrailControls(c, { engage: allowed(ROUTES.engageKillSwitch, roles), release: allowed(ROUTES.releaseKillSwitch, roles) }, current(res).csrf)}
        ${controlForms(c, allowed(ROUTES.addPause, roles), current(res).csrf)}`,
      { flash: str(req.query.done) },
    );
  });
  router.get('/live/guardrails', (req, res) =>
    liveStream(req, res, async () => guardrailsLive(await deps.guardrails.controls()), controls),
  );
  router.post(
    '/guardrails/kill-switch',
    form,
    post(ROUTES.engageKillSwitch, async (req, _res, s) => {
      await deps.guardrails.update(g.engageKillSwitchUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Kill switch engaged';
    }),
  );
  router.post(
    '/guardrails/kill-switch/release',
    form,
    post(ROUTES.releaseKillSwitch, async (req, _res, s) => {
      await deps.guardrails.update(g.releaseKillSwitchUpdate, {
        reason: (req.body as Record<string, string>).reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Kill switch released';
    }),
  );

  const selector = (body: Record<string, string>) =>
    Object.fromEntries(
      (['service', 'environment', 'action'] as const).filter((k) => body[k]).map((k) => [k, body[k]!]),
    );
  router.post(
    '/guardrails/pause',
    form,
    post(ROUTES.addPause, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      await deps.guardrails.update(g.addPauseUpdate, {
        selector: selector(body),
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return `Paused ${body.service ?? ''}`;
    }),
  );
  router.post(
    '/guardrails/rule',
    form,
    post(ROUTES.addRule, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const effect = (['block', 'manual-only', 'approval'] as const).find((e) => e === body.effect) ?? 'approval';
      await deps.guardrails.update(g.addRuleUpdate, {
        selector: selector(body),
        effect,
        ...(body.tier ? { tier: body.tier } : {}),
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Rule added';
    }),
  );
  router.post(
    '/guardrails/freeze',
    form,
    post(ROUTES.addFreeze, async (req, _res, s) => {
      const body = req.body as Record<string, string>;
      const scope = selector(body);
      await deps.guardrails.update(g.addFreezeUpdate, {
        ...(Object.keys(scope).length ? { selector: scope } : {}),
        start: body.start ?? '',
        end: body.end ?? '',
        mode: body.mode === 'block' ? 'block' : 'require-approval',
        tier: body.tier || 'lead',
        reason: body.reason ?? '',
        actor: actorFor(s.principal, 'console'),
      });
      return 'Freeze declared';
    }),
  );
  for (const [kind, route] of [
    ['pause', ROUTES.removePause],
    ['rule', ROUTES.removeRule],
    ['freeze', ROUTES.removeFreeze],
  ] as const)
    router.post(
      `/guardrails/${kind}/:controlId/remove`,
      form,
      post(route, async (req, _res, s) => {
        await deps.guardrails.update(g.removeControlUpdate, {
          kind,
          id: String(req.params.controlId),
          reason: (req.body as Record<string, string>).reason ?? '',
          actor: actorFor(s.principal, 'console'),
        });
        return `The ${kind} is removed`;
      }),
    );
}
