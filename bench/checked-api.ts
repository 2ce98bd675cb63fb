/**
 * The bench's API calls: authenticated as the first admin, and checked. A timed request that was refused
 * (401, 429) or failed would time an error reply, so anything but 2xx stops the bench with the reply.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { INITIAL_ADMIN_FILE, INITIAL_ADMIN_USERNAME } from '../src/auth/bootstrap-admin.ts';

export interface CheckedApi {
  /** Sends the request with the admin's token; throws unless the answer is 2xx. */
  request(options: InjectOptions & { url: string }): Promise<LightMyRequestResponse>;
}

/** Logs in as `admin` with the password the daemon's first start wrote to the data directory. */
export async function adminApi(app: FastifyInstance, dataDir: string): Promise<CheckedApi> {
  const password = readFileSync(path.join(dataDir, INITIAL_ADMIN_FILE), 'utf8').trim();
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: INITIAL_ADMIN_USERNAME, password },
  });
  const { access_token: token } = expectSuccess(login, 'POST /api/v1/auth/login').json<{
    access_token: string;
  }>();
  return {
    async request(options) {
      const headers = { ...options.headers, authorization: `Bearer ${token}` };
      const response = await app.inject({ ...options, headers });
      return expectSuccess(response, `${options.method ?? 'GET'} ${options.url}`);
    },
  };
}

function expectSuccess(response: LightMyRequestResponse, what: string): LightMyRequestResponse {
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  throw new Error(`bench: ${what} answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
}

/** Throws unless every run in `states` (id → state) succeeded; `what` names the measurement. */
export function expectRunsSucceeded(states: ReadonlyMap<string, string>, what: string): void {
  if (states.size === 0) throw new Error(`bench: ${what}: no run was measured`);
  const failed = [...states].filter(([, state]) => state !== 'succeeded');
  if (failed.length > 0) {
    const sample = failed.slice(0, 5).map(([id, state]) => `${id}: ${state}`);
    throw new Error(
      `bench: ${what}: ${failed.length} of ${states.size} runs did not succeed (${sample.join(', ')})`,
    );
  }
}
