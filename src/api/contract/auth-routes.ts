import type { RouteContract } from './schemas.js';

/**
 * Browser sign-in with the organisation's OpenID Provider. These take no bearer token (a browser
 * following a link cannot send one) and are not 'public' in the sense of "anyone may read":
 * access 'sign-in' means the handler checks the browser's own sign-in cookies (the sealed login
 * cookie at the callback, the session cookie and its CSRF token at logout), and the identity
 * provider authenticates the person. They answer small HTML pages and redirects, never JSON.
 */
export const AUTH_ROUTES = {
  signIn: {
    method: 'get',
    path: '/v1/auth/login',
    summary:
      'Start browser sign-in: redirects to the identity provider (code flow, PKCE S256); returnTo = a path on this gateway to come back to',
    tag: 'auth',
    access: 'sign-in',
    responses: {
      302: 'to the identity provider, with a short-lived sealed login cookie',
      400: 'returnTo is missing or not a path on this gateway (no open redirects)',
      404: 'sign-in is not configured on this gateway',
      503: 'the identity provider cannot be reached',
    },
  },
  signInCallback: {
    method: 'get',
    path: '/v1/auth/callback',
    summary: "The identity provider's redirect back: checks state, exchanges the code, sets the session cookie",
    tag: 'auth',
    access: 'sign-in',
    responses: {
      302: 'signed in: back to returnTo with the session cookie',
      400: 'no sign-in started in this browser, or the state does not match it',
      401: 'the identity provider refused, or its answer (code, ID token, nonce) was not accepted',
      404: 'sign-in is not configured on this gateway',
    },
  },
  signOut: {
    method: 'post',
    path: '/v1/auth/logout',
    summary: 'End the browser session (form field csrf: the token of the session being ended)',
    tag: 'auth',
    access: 'sign-in',
    responses: {
      200: 'an HTML page: signed out',
      403: 'the CSRF token is missing or does not match the session',
      404: 'sign-in is not configured on this gateway',
    },
  },
} as const satisfies Record<string, RouteContract>;
