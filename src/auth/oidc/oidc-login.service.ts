/**
 * Signing in through the identity provider (SPEC §6–§7), without the HTTP: `begin` makes up a sign-in
 * attempt (state, nonce, PKCE verifier) and the provider URL to send the browser to; `finish` checks
 * the provider's answer against the attempt the browser kept, exchanges the code, and resolves the
 * Tide user. Every outcome of `finish` is audited as `auth.oidc_login`; creating a user and changing
 * its role from the claims are audited as `user.create` and `user.update`, like an admin's changes.
 */
import * as openid from 'openid-client';
import { toTideError, type TideError } from '../../errors/tide-error.ts';
import { recordAuthEvent, type AuthEvent, type RequestContext } from '../auth-audit.ts';
import type { AuthDeps } from '../auth-settings.ts';
import { sameSecret } from '../opaque-token.ts';
import type { User } from '../user.ts';
import { attemptKey, openAttempt, sealAttempt, type LoginAttempt } from './login-attempt.ts';
import { OidcClient } from './oidc-client.ts';
import { failureReason, oidcFailure } from './oidc-errors.ts';
import type { Claims } from './oidc-claims.ts';
import type { OidcSettings } from './oidc-settings.ts';
import { OidcUsers, type ResolvedUser } from './oidc-users.ts';

const ATTEMPT_PROBLEMS = {
  state_missing: 'no sign-in was started in this browser (or its cookie was lost): start again',
  state_expired: 'the sign-in took longer than 10 minutes: start again',
  state_invalid: 'the sign-in cookie is not one Tide made: start again',
} as const;

/** What the audit log can say about a failed sign-in: as much as was learnt before it failed. */
interface Known {
  issuer?: string;
  subject?: string;
  username?: string;
}

export interface FinishedSignIn {
  readonly user: User;
  readonly returnTo: string;
}

export class OidcLoginService {
  readonly #deps: AuthDeps;
  readonly #settings: OidcSettings;
  readonly #client: OidcClient;
  readonly #users: OidcUsers;
  readonly #key: Uint8Array;

  constructor(deps: AuthDeps, settings: OidcSettings, client = new OidcClient(settings)) {
    this.#deps = deps;
    this.#settings = settings;
    this.#client = client;
    this.#users = new OidcUsers(deps, settings);
    this.#key = attemptKey(deps.settings.accessToken.key);
  }

  /** The provider URL to send the browser to, and the sealed attempt for its cookie. */
  async begin(request: { redirectUri: string; returnTo: string }): Promise<{ url: URL; sealed: string }> {
    const attempt: LoginAttempt = {
      state: openid.randomState(),
      nonce: openid.randomNonce(),
      codeVerifier: openid.randomPKCECodeVerifier(),
      redirectUri: request.redirectUri,
      returnTo: request.returnTo,
    };
    const url = await this.#client.authorizationUrl(attempt);
    return { url, sealed: await sealAttempt(this.#key, attempt, this.#deps.clock.now()) };
  }

  /**
   * Completes the sign-in from the callback's query string and the attempt cookie (absent when the
   * browser did not start one). Throws `oidc_failed` (400), `oidc_unavailable` (502), `forbidden` (403)
   * or `conflict` (409), each audited with its reason.
   */
  async finish(query: string, sealed: string | undefined, context: RequestContext): Promise<FinishedSignIn> {
    const known: Known = {};
    try {
      const opened = await openAttempt(this.#key, sealed, this.#deps.clock.now());
      if (!opened.ok) throw oidcFailure('oidc_failed', opened.reason, ATTEMPT_PROBLEMS[opened.reason]);
      const { attempt } = opened;
      // Checked here, before any request to the provider, so a forged callback costs nothing; the
      // comparison is constant-time like every other secret comparison.
      const given = new URLSearchParams(query).get('state');
      if (given === null || !sameSecret(given, attempt.state))
        throw oidcFailure(
          'oidc_failed',
          'state_mismatch',
          'the answer from the identity provider is not for the sign-in this browser started: start again',
        );
      const callbackUrl = new URL(attempt.redirectUri);
      callbackUrl.search = query;
      const wanted = [this.#settings.roleClaim, this.#settings.usernameClaim];
      const claims: Claims = await this.#client.exchange(callbackUrl, attempt, wanted);
      known.subject = String(claims.sub);
      known.issuer = this.#issuer(claims);
      const resolved = await this.#users.resolve(known.issuer, known.subject, claims);
      known.username = resolved.user.username;
      await this.#recordSuccess(resolved, known.issuer, known.subject, context);
      return { user: resolved.user, returnTo: attempt.returnTo };
    } catch (thrown) {
      const error = toTideError(thrown);
      await this.#recordFailure(error, known, context);
      throw error;
    }
  }

  /**
   * The issuer exactly as the ID token names it (openid-client has checked it is the configured one):
   * identities are stored under it, so `https://idp/` and `https://idp` in TIDE_OIDC_ISSUER are one.
   */
  #issuer(claims: Claims): string {
    return typeof claims.iss === 'string' ? claims.iss : this.#settings.issuer.href;
  }

  async #recordSuccess(
    resolved: ResolvedUser,
    issuer: string,
    subject: string,
    context: RequestContext,
  ): Promise<void> {
    const { user, created, previousRole } = resolved;
    const target = `user:${user.username}`;
    if (created)
      await this.#audit(context, {
        actor: user.username,
        action: 'user.create',
        target,
        result: 'success',
        details: { role: user.role, via: 'oidc', issuer, subject },
      });
    if (previousRole !== null)
      await this.#audit(context, {
        actor: user.username,
        action: 'user.update',
        target,
        result: 'success',
        details: { role: user.role, previous_role: previousRole, via: 'oidc' },
      });
    await this.#audit(context, {
      actor: user.username,
      action: 'auth.oidc_login',
      target,
      result: 'success',
      details: { issuer, subject, role: user.role, created },
    });
  }

  async #recordFailure(error: TideError, known: Known, context: RequestContext): Promise<void> {
    this.#deps.metrics?.loginFailuresTotal.inc();
    const details = error.details as { username?: unknown } | undefined;
    const username = known.username ?? (typeof details?.username === 'string' ? details.username : null);
    if (error.code === 'internal' || error.code === 'oidc_unavailable')
      this.#deps.logger.error({ err: error }, 'single sign-on failed');
    await this.#audit(context, {
      actor: 'anonymous',
      action: 'auth.oidc_login',
      target: username ? `user:${username}` : null,
      result: 'failure',
      details: {
        reason: failureReason(error),
        code: error.code,
        issuer: known.issuer ?? this.#settings.issuer.href,
        ...(known.subject ? { subject: known.subject } : {}),
      },
    });
  }

  #audit(context: RequestContext, event: AuthEvent): Promise<void> {
    return recordAuthEvent(this.#deps, context, event);
  }
}
