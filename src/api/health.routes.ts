/**
 * Probes for orchestrators (SPEC §6): `live` answers as long as the process serves HTTP; `ready` runs
 * the daemon's checks (database, migrations, config, scheduler, engine) and answers 503 naming the
 * failing ones, so a load balancer stops sending traffic and a person sees why.
 */
import type { FastifyPluginAsync } from 'fastify';
import { TideError } from '../errors/tide-error.ts';
import type { ApiDeps, Readiness } from './api-deps.ts';
import { routeConfig } from './route-config.ts';

export const healthRoutes: FastifyPluginAsync<{ deps: Pick<ApiDeps, 'readiness'> }> = async (
  app,
  { deps },
) => {
  const liveConfig = routeConfig({ permission: 'public', summary: 'Liveness: the process serves HTTP' });
  app.get('/live', { config: liveConfig }, async () => ({ status: 'ok' }));

  const readyConfig = routeConfig({
    permission: 'public',
    summary: 'Readiness: database, migrations, config, scheduler, engine (503 naming what fails)',
  });
  app.get('/ready', { config: readyConfig }, async () => {
    const readiness = await deps.readiness().catch((error: unknown): Readiness => ({
      ok: false,
      checks: { readiness: { ok: false, detail: error instanceof Error ? error.message : String(error) } },
    }));
    if (readiness.ok) return { status: 'ok', checks: readiness.checks };
    const failing = Object.entries(readiness.checks).filter(([, check]) => !check.ok);
    const described = failing.map(([name, check]) => (check.detail ? `${name} (${check.detail})` : name));
    throw new TideError('not_ready', `not ready: ${described.join(', ') || 'a check failed'}`, {
      details: { failing: failing.map(([name]) => name), checks: readiness.checks },
    });
  });
};
