/**
 * A real HTTP server with only Tide's state backend routes, for executor and worker tests that run the
 * real engine without a whole daemon: the engine's http backend talks to it exactly as to `tide serve`.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { registerErrorHandling } from '../../src/api/error-handler.ts';
import { enableStateBackendMethods, stateBackendRoutes } from '../../src/api/state-backend.routes.ts';
import { makeKeyring, type Keyring } from '../../src/secrets/encryption-key.ts';
import type { StateBackendEndpoint } from '../../src/state/state-access.ts';
import { stateServices, type StateServices } from '../../src/state/state-services.ts';
import type { Db } from '../../src/store/schema.ts';
import { systemClock, type Clock } from '../../src/time/clock.ts';

export interface StateBackendServer extends StateServices {
  readonly endpoint: StateBackendEndpoint;
  close(): Promise<void>;
}

export async function startStateBackendServer(
  db: Db,
  clock: Clock = systemClock,
  keyring: Keyring = makeKeyring(randomBytes(32)),
): Promise<StateBackendServer> {
  const services = stateServices({
    db,
    keyring,
    clock,
    jwtSecret: randomBytes(32),
    keepVersions: 0,
  });
  const app = Fastify();
  registerErrorHandling(app);
  enableStateBackendMethods(app);
  await app.register(stateBackendRoutes, { prefix: '/api/v1', backend: services.backend });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    ...services,
    endpoint: { url: () => `http://127.0.0.1:${port}`, credentials: services.credentials },
    close: () => app.close(),
  };
}
