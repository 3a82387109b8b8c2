import * as oidc from 'openid-client';

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  /** Unset: a public client, protected by PKCE alone. */
  clientSecret?: string;
  redirectUri: string;
  scope: string;
}

export interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
}

/**
 * The relying-party side of the authorization code flow (openid-client does the protocol: PKCE,
 * the token request, ID token checks of issuer, audience, nonce, expiry and azp). Discovery is
 * lazy and retried after a failure, so the gateway starts and serves everything else while the
 * identity provider is unreachable; only sign-in waits for it.
 */
export function createOidcClient(settings: OidcClientSettings) {
  let discovered: Promise<oidc.Configuration> | undefined;
  const issuerUrl = new URL(settings.issuer);
  // Plain HTTP only to a provider on this machine (development, tests): a remote one over HTTP
  // would let anyone on the path mint sessions.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuerUrl.hostname);

  function configuration(): Promise<oidc.Configuration> {
    discovered ??= oidc
      .discovery(
        issuerUrl,
        settings.clientId,
        undefined,
        settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
        {
          timeout: 5,
          ...(loopback && issuerUrl.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  }

  return {
    /** Where to send the browser, and what the callback must check against. */
    async begin(): Promise<{ url: URL; pending: PendingLogin }> {
      const config = await configuration();
      const pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scope,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },

    /** Exchange the code (with the verifier) and return the ID token's validated claims. */
    async finish(query: URLSearchParams, pending: PendingLogin) {
      const config = await configuration();
      // The URL the provider redirected to, rebuilt from configuration rather than from the
      // request's Host header (which a proxy may rewrite, and a client may forge).
      const current = new URL(settings.redirectUri);
      current.search = query.toString();
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the identity provider returned no ID token');
      return claims;
    },
  };
}
export type OidcClient = ReturnType<typeof createOidcClient>;
