/**
 * What a run needs to use Tide's state backend: the address of its state and its own credential. The
 * runner gets the backend's base URL from its settings (TIDE_STATE_URL, else its own API listener).
 */
import { stateBackendPath, stateKeyOf } from './state-key.ts';
import type { ClaimOf, StateCredential, StateCredentials } from './state-credential.ts';
import type { RunAction } from '../store/schema.ts';

export interface StateBackendEndpoint {
  /** The API base URL the engine reaches (`http://127.0.0.1:8080`), known once the API listens. */
  url(): string;
  readonly credentials: StateCredentials;
}

export interface RunStateAccess {
  readonly key: string;
  /** `<base>/api/v1/state/<key>`: the http backend's address, lock and unlock address. */
  readonly address: string;
  readonly credential: StateCredential;
}

export function stateAccessFor(
  endpoint: StateBackendEndpoint,
  run: ClaimOf & { action: RunAction; workspace: string; job: string | null },
): RunStateAccess {
  const key = stateKeyOf(run);
  return {
    key,
    address: `${endpoint.url().replace(/\/+$/, '')}${stateBackendPath(key)}`,
    credential: endpoint.credentials.issue(run),
  };
}

/**
 * The run's latest state as the engine's http backend reads it (GET with the run's credential); null when
 * there is none (204). Throws when the backend cannot be reached or answers otherwise.
 */
export async function readRunState(access: RunStateAccess, signal?: AbortSignal): Promise<string | null> {
  const { username, password } = access.credential;
  const response = await fetch(access.address, {
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    signal: signal ?? null,
  });
  if (response.status === 204) return null;
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the state backend answered ${response.status}`);
  }
  return response.text();
}
