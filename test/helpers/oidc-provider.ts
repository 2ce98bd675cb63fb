/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1, for the single sign-on tests: discovery, JWKS,
 * authorization with PKCE required, its development login and consent pages, token and UserInfo
 * endpoints. Accounts are looked up by the login name typed into the login page; a test may change an
 * account's claims between sign-ins (a person moved to another group).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type ProviderClass from 'oidc-provider';
import type { AccountClaims } from 'oidc-provider';

export const TEST_CLIENT_ID = 'tide';
export const TEST_CLIENT_SECRET = 'tide-test-client-secret-5f2a9c7e41b8';

/** A person at the provider, by login name, which is also their `sub`; the claims it releases. */
export interface TestAccount {
  readonly preferred_username?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
}

export interface TestProvider {
  /** The issuer identifier, e.g. `http://127.0.0.1:41234`. */
  readonly issuer: string;
  /** By login name; tests add and change accounts. */
  readonly accounts: Map<string, TestAccount>;
  /** Serves requests with a provider whose one client is registered with this redirect URI. */
  register(redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * oidc-provider announces its development conveniences (in-memory storage, development interactions,
 * Node 20) on the console; in tests that is all they are, so those lines are dropped.
 */
async function quietly<T>(fn: () => Promise<T> | T): Promise<T> {
  const { warn, info } = console;
  const filter =
    (write: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
      write(...args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

/** Listens at once, so the issuer URL is known before Tide (whose callback the client needs) starts. */
export async function startTestProvider(): Promise<TestProvider> {
  const Provider: typeof ProviderClass = await quietly(async () => (await import('oidc-provider')).default);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' }] };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, TestAccount>();
  let handler: ReturnType<ProviderClass['callback']> | null = null;
  server.on('request', (request, response) => {
    if (handler) return handler(request, response);
    response.statusCode = 503;
    response.end('provider not registered yet');
  });
  return {
    issuer,
    accounts,
    async register(redirectUri) {
      const provider = await quietly(
        () => new Provider(issuer, providerConfiguration(redirectUri, accounts, jwks)),
      );
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function providerConfiguration(redirectUri: string, accounts: Map<string, TestAccount>, jwks: object) {
  return {
    jwks,
    // Explicit lifetimes (seconds): the defaults print a notice each the first time they are used.
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    cookies: { keys: ['tide-test-provider-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      if (!accounts.has(id)) return undefined;
      return {
        accountId: id,
        // Read at each request, so a change made by the test shows at the next sign-in.
        claims: (): AccountClaims => ({ ...accounts.get(id), sub: id }),
      };
    },
  };
}
