import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { PEOPLE, type Person } from './interlock.js';

/**
 * A real OpenID Provider (oidc-provider) on a free port, for browser sign-in tests: discovery,
 * authorization endpoint with PKCE required, token endpoint (client_secret_basic), signed ID
 * tokens carrying the test PEOPLE's roles, groups, teams and email. Its login and consent pages
 * are replaced by an automatic interaction that signs in whoever `signInAs` names, finishing the
 * interaction through the provider's own API, so no HTML form is scraped and no browser is needed.
 *
 * It listens before it knows the gateway (the gateway must know the issuer when it starts);
 * `register` then adds the one client with the gateway's redirect URI.
 */
export interface OidcIssuer {
  url: string;
  clientId: string;
  clientSecret: string;
  register(redirectUri: string): Promise<void>;
  /** Who the next sign-in authenticates as; `refuse` makes the provider answer access_denied. */
  signInAs(person: Person | 'refuse'): void;
  close(): Promise<void>;
}

/** `publicClient`: the client has no secret (token_endpoint_auth_method none), PKCE alone protects the code. */
export async function startOidcIssuer(options: { publicClient?: boolean } = {}): Promise<OidcIssuer> {
  let provider: Provider | undefined;
  let next: Person | 'refuse' = 'dana';
  const server = http.createServer((req, res) => {
    if (!provider) {
      res.writeHead(503).end('not registered yet');
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interact(provider, req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'interlock-gateway-test';
  const clientSecret = randomBytes(24).toString('base64url');

  async function interact(p: Provider, req: http.IncomingMessage, res: http.ServerResponse) {
    const details = await p.interactionDetails(req, res);
    if (next === 'refuse') {
      await p.interactionFinished(req, res, { error: 'access_denied', error_description: 'refused in the test' });
      return;
    }
    if (details.prompt.name === 'login') {
      await p.interactionFinished(req, res, { login: { accountId: next } }, { mergeWithLastSubmission: false });
      return;
    }
    // Consent: grant exactly what the provider says is missing, as a person clicking "allow" would.
    const grant = new p.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details;
    if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    await p.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  return {
    url,
    clientId,
    clientSecret,
    async register(redirectUri) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: 'test-issuer', alg: 'RS256', use: 'sig' };
      provider = new Provider(url, {
        clients: [
          {
            client_id: clientId,
            ...(options.publicClient ? {} : { client_secret: clientSecret }),
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: options.publicClient ? 'none' : 'client_secret_basic',
          },
        ],
        pkce: { required: () => true },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        // Claims in the ID token itself (not only at userinfo): the gateway reads the ID token.
        conformIdTokenClaims: false,
        claims: { openid: ['sub'], profile: ['name', 'roles', 'groups', 'teams'], email: ['email'] },
        findAccount: (_ctx: unknown, id: string) => {
          const person = PEOPLE[id as Person];
          if (!person) return undefined;
          return {
            accountId: id,
            claims: () => ({
              sub: id,
              name: person.name,
              roles: [...person.roles],
              groups: [...person.groups],
              teams: 'teams' in person ? [...person.teams] : [],
              ...('email' in person ? { email: person.email } : {}),
            }),
          };
        },
        jwks: { keys: [jwk] },
        // Explicit lifetimes (seconds) instead of the defaults it warns about.
        ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
      });
    },
    signInAs(person) {
      next = person;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
