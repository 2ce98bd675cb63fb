/**
 * `GET /api/v1/savings` (docs/savings.md): hours each workspace with an `hourly_cost` was down because of
 * its schedule, and the money saved, per workspace and in total, bucketed per UTC day, ISO week or month.
 * Read permission; only the workspaces of the caller's scope are counted (403 for `workspace=` outside it).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { nameSchema } from '../config/common.schema.ts';
import { assertWorkspaceAccess, scopeOf } from '../http/auth.plugin.ts';
import { SavingsService } from '../savings/savings.service.ts';
import { savingsBuckets } from '../savings/savings.ts';
import { savingsViewSchema } from '../savings/savings-view.schema.ts';
import type { ApiDeps } from './api-deps.ts';
import { parseRequest } from './api-schemas.ts';
import { routeConfig } from './route-config.ts';

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional()
    .describe(what);

export const savingsQuery = z.strictObject({
  since: instant('Start of the period, an ISO 8601 instant (default: the start of the current UTC month).'),
  until: instant('End of the period, an ISO 8601 instant (default and at most: now).'),
  bucket: z
    .enum(savingsBuckets)
    .optional()
    .describe('Bucket size: day, week (ISO, from Monday) or month, in UTC (default day).'),
  workspace: nameSchema.optional().describe('Only this workspace.'),
});

export const savingsRoutes: FastifyPluginAsync<{ deps: Pick<ApiDeps, 'db' | 'clock' | 'config'> }> = async (
  app,
  { deps },
) => {
  const savings = new SavingsService({ db: deps.db, clock: deps.clock, config: () => deps.config() });
  app.get(
    '/savings',
    {
      config: routeConfig({
        permission: 'read',
        summary: 'Hours down because of the schedule and money saved, per workspace and bucket',
        schemas: { querystring: savingsQuery, response: { status: 200, schema: savingsViewSchema } },
      }),
    },
    async (request) => {
      const query = parseRequest(savingsQuery, request.query, 'query');
      if (query.workspace !== undefined) assertWorkspaceAccess(request, query.workspace);
      const scope = scopeOf(request);
      return savings.report(query, (name) => scope.allows(name));
    },
  );
};
