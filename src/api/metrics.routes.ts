/**
 * `GET /metrics` (SPEC §8): the registry in Prometheus text format. Public, like the health probes, so
 * Prometheus needs no credentials; operators keep it off the internet at the network level (a
 * NetworkPolicy, a proxy rule; docs/monitoring.md). Scraping runs the on-scrape gauges' two store reads.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TideMetrics } from '../observability/metrics.ts';
import { routeConfig } from './route-config.ts';

export const metricsRoutes: FastifyPluginAsync<{ metrics: Pick<TideMetrics, 'registry'> }> = async (
  app,
  { metrics },
) => {
  const config = routeConfig({ permission: 'public', summary: 'Prometheus metrics (text format)' });
  app.get('/metrics', { config }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply
      .header('content-type', metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  });
};
