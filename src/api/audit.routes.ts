/** `GET /api/v1/audit` (SPEC §7): the audit log, newest first, filtered and paged; admins only. */
import type { FastifyPluginAsync } from 'fastify';
import { listAuditEntries } from '../audit/audit.repo.ts';
import { auditEntrySchema } from '../audit/audit-entry.schema.ts';
import type { ApiDeps } from './api-deps.ts';
import { auditListQuery, parseRequest } from './api-schemas.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

export const auditRoutes: FastifyPluginAsync<{ deps: Pick<ApiDeps, 'db'> }> = async (app, { deps }) => {
  const config = routeConfig({
    permission: 'admin',
    summary: 'The audit log, newest first, filtered and paged',
    schemas: { querystring: auditListQuery, response: { status: 200, schema: pageOf(auditEntrySchema) } },
  });
  app.get('/audit', { config }, async (request) => {
    const query = parseRequest(auditListQuery, request.query, 'query');
    // Entries are already snake_case, as every API response is; hashes let a client anchor the chain.
    return listAuditEntries(deps.db, { ...query, cursor: query.cursor ?? null });
  });
};
