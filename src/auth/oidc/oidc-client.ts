/**
 * Tide as an OpenID Connect relying party, over openid-client: discovery (once per process, retried
 * after a failure), the authorization URL (code flow, PKCE S256, state, nonce), and the callback's code
 * exchange. openid-client validates the authorization response (`state`, and `iss` when the provider
 * sends it) and the ID token: signature against the provider's JWKS (fetched and cached, refetched
 * when a new key id appears), `iss`, `aud`, `azp`, `exp`/`iat`, and `nonce`. Its failures become
 * `oidc_failed` (the provider said no, or its answer failed a check) or `oidc_unavailable` (it could
 * not be reached).
 *
 * Discovery stays cached for the life of the process: endpoints of a provider do not move, and signing
 * key rotation goes through the JWKS, which openid-client refreshes by itself.
 */
import * as openid from 'openid-client';
import { TideError } from '../../errors/tide-error.ts';
import { claimAt, type Claims } from './oidc-claims.ts';
import type { OidcSettings } from './oidc-settings.ts';
import type { LoginAttempt } from './login-attempt.ts';
import { oidcFailure } from './oidc-errors.ts';

/** Seconds to wait for the provider on each request (openid-client's default is 30). */
const PROVIDER_TIMEOUT_S = 10;

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  // undici reports a refused or reset connection as `TypeError: fetch failed` with the cause attached.
  return error instanceof TypeError && error.message === 'fetch failed';
}

/** What the provider's answer to the callback turned into. */
function exchangeFailure(error: unknown): TideError {
  if (error instanceof TideError) return error;
  if (isNetworkError(error))
    return oidcFailure(
      'oidc_unavailable',
      'provider_unreachable',
      'the identity provider could not be reached',
      {},
      error,
    );
  if (error instanceof openid.AuthorizationResponseError)
    return oidcFailure(
      'oidc_failed',
      'provider_error',
      `the identity provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
      { provider_error: error.error },
      error,
    );
  if (error instanceof openid.ResponseBodyError)
    return oidcFailure(
      'oidc_failed',
      'token_request_refused',
      `the identity provider refused the authorization code: ${error.error}`,
      { provider_error: error.error },
      error,
    );
  if (error instanceof openid.ClientError)
    return oidcFailure(
      'oidc_failed',
      'response_invalid',
      `the identity provider's answer failed validation: ${error.message}`,
      { check: error.code ?? null },
      error,
    );
  return new TideError('internal', error instanceof Error ? error.message : String(error), { cause: error });
}

export class OidcClient {
  readonly #settings: OidcSettings;
  #configuration: Promise<openid.Configuration> | null = null;

  constructor(settings: OidcSettings) {
    this.#settings = settings;
  }

  /** The provider's metadata and Tide's client credentials; a failed discovery is retried next time. */
  #config(): Promise<openid.Configuration> {
    this.#configuration ??= this.#discover().catch((error: unknown) => {
      this.#configuration = null;
      throw error;
    });
    return this.#configuration;
  }

  async authorizationUrl(attempt: LoginAttempt): Promise<URL> {
    const config = await this.#config();
    return openid.buildAuthorizationUrl(config, {
      redirect_uri: attempt.redirectUri,
      response_type: 'code',
      scope: this.#settings.scopes.join(' '),
      state: attempt.state,
      nonce: attempt.nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(attempt.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Exchanges the code in `callbackUrl` (the redirect URI with the provider's query) and returns the
   * validated ID token's claims — completed from the UserInfo endpoint when the ID token lacks the
   * claims Tide reads (many providers put profile and group claims only there).
   */
  async exchange(callbackUrl: URL, attempt: LoginAttempt, wanted: readonly string[]): Promise<Claims> {
    const config = await this.#config();
    try {
      const tokens = await openid.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: attempt.codeVerifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims)
        throw oidcFailure('oidc_failed', 'response_invalid', 'the identity provider returned no ID token');
      const complete = wanted.every((name) => claimAt(idClaims, name) !== undefined);
      if (complete || !config.serverMetadata().userinfo_endpoint) return idClaims;
      // The subject must match the ID token's (openid-client checks): UserInfo cannot swap the person.
      const userInfo = await openid.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      return { ...userInfo, ...idClaims };
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  async #discover(): Promise<openid.Configuration> {
    const { issuer, clientId, clientSecret } = this.#settings;
    try {
      return await openid.discovery(
        issuer,
        clientId,
        undefined,
        // client_secret_basic: the method a client is registered with unless it asks otherwise (RFC 7591).
        openid.ClientSecretBasic(clientSecret),
        {
          timeout: PROVIDER_TIMEOUT_S,
          // Settings accept plain http only on loopback (oidc-settings.ts): a provider on this machine.
          ...(issuer.protocol === 'http:' ? { execute: [openid.allowInsecureRequests] } : {}),
        },
      );
    } catch (error) {
      throw oidcFailure(
        'oidc_unavailable',
        'discovery_failed',
        `could not read the identity provider's configuration from ${issuer.href}: ${error instanceof Error ? error.message : String(error)}`,
        {},
        error,
      );
    }
  }
}
