/**
 * Tide's architecture rules, checked by `npm run check:architecture` (part of `npm test`). What the
 * layers are and why is in docs/architecture.md; keep the two in step.
 *
 * Test code (`*.test.ts`, the `test-*.ts` support files beside them, and everything under test/) is left
 * out of the cruise: a test imports harnesses that assemble the whole daemon, so with tests in the graph
 * every folder would "depend" on every other. test/architecture.test.ts cruises the tests too, for file
 * cycles only.
 */

/** The adapters: what turns HTTP, the command line and the process environment into calls on the domain. */
const ENTRY = '^src/(api|cli|daemon|env|http|web)/';
/** Code that may open or query the database: the store and the repositories. */
const DATA_ACCESS = '^src/store/|[.]repo[.]ts$';
const DB_DRIVERS = '^(kysely|pg|better-sqlite3)$|^node_modules/(kysely|pg|better-sqlite3)/';
const HTTP_FRAMEWORK = '^(fastify|@fastify/[^/]+)$|^node_modules/(fastify|@fastify)/';

/**
 * Read routes that call a repository directly, each with its reason. Everything else goes through a
 * service. Keep this list short: a new entry needs a reason a reviewer accepts.
 */
const READ_ROUTES_ALLOWED_TO_USE_REPOS = [
  {
    // GET /audit pages through the append-only audit table exactly as stored (admins only, filtered by
    // query parameters). No rule of the domain sits between the request and the query, and AuditLog is
    // the chain's writer: a read method there would only forward the call.
    route: '^src/api/audit[.]routes[.]ts$',
    repository: '^src/audit/audit[.]repo[.]ts$',
  },
];

/* global module -- a CommonJS file: dependency-cruiser loads it with require(). */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment:
        'A module must not import itself through others: break the cycle by moving the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-import',
      severity: 'error',
      comment: 'An import the cruiser cannot resolve is an import the other rules cannot check.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Two folders must not depend on each other, directly or through others: move what both need into ' +
        'the lower one (or a leaf), or hand the higher one in as a narrow interface.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
    {
      name: 'enter-other-folders-at-their-top',
      severity: 'error',
      comment:
        'Outside the adapters, a module imports another top-level folder only at its top level ' +
        '(src/run/run.ts, not src/run/executor/…). The folder-cycle check sees an edge at the level of the ' +
        'folder it lands in, so an import into a subfolder could hide a cycle between the top-level folders.',
      from: { path: '^src/([^/]+)/', pathNot: ENTRY },
      to: { path: '^src/[^/]+/[^/]+/', pathNot: '^src/$1/' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment: 'The CLI is a client of everything else; nothing outside it may import it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'domain-does-not-import-adapters',
      severity: 'error',
      comment:
        'Domain code (everything outside the adapters) must not import the API, the CLI, the daemon or the ' +
        'HTTP plumbing: they call the domain, not the other way round.',
      from: { path: '^src/', pathNot: ENTRY },
      to: { path: ENTRY },
    },
    {
      name: 'api-does-not-import-daemon',
      severity: 'error',
      comment:
        'The API is built from its dependencies (buildApp(deps)); the daemon wires it, not the reverse.',
      from: { path: '^src/(api|http)/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'no-http-framework-in-domain',
      severity: 'error',
      comment: 'Only the API, the HTTP plumbing and the daemon may import fastify or its plugins.',
      from: { path: '^src/', pathNot: '^src/(api|http|daemon)/' },
      to: { path: HTTP_FRAMEWORK },
    },
    {
      name: 'no-database-driver-outside-data-access',
      severity: 'error',
      comment:
        'kysely, pg and better-sqlite3 belong to the store and the repositories (*.repo.ts); services and ' +
        'routes work with repository functions and the Db handle, not with SQL.',
      from: { path: '^src/', pathNot: DATA_ACCESS },
      to: { path: DB_DRIVERS },
    },
    {
      name: 'store-imports-no-domain',
      severity: 'error',
      comment:
        'The store (src/store) sits at the bottom: it owns its row and column types and imports only itself ' +
        'and the shared leaves (errors, time, files).',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(store|errors|time|files)/' },
    },
    {
      name: 'repositories-do-not-import-services',
      severity: 'error',
      comment: 'Services call repositories; a repository never calls a service, a route or a subsystem.',
      from: { path: '[.]repo[.]ts$' },
      to: { path: '[.](service|routes|plugin)[.]ts$' },
    },
    {
      name: 'routes-call-services',
      severity: 'error',
      comment:
        'A route calls a service, not a repository. A read route may be listed in ' +
        'READ_ROUTES_ALLOWED_TO_USE_REPOS (.dependency-cruiser.cjs) with its reason.',
      from: { path: '^src/api/', pathNot: READ_ROUTES_ALLOWED_TO_USE_REPOS.map((entry) => entry.route) },
      // Naming a repository's row type (import type) calls nothing, so only value imports count.
      to: { path: '[.]repo[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    ...READ_ROUTES_ALLOWED_TO_USE_REPOS.map(({ route, repository }) => ({
      name: 'routes-call-services',
      severity: 'error',
      comment: `${route} is allowed ${repository} only (READ_ROUTES_ALLOWED_TO_USE_REPOS).`,
      from: { path: route },
      to: { path: '[.]repo[.]ts$', pathNot: repository, dependencyTypesNot: ['type-only'] },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['[.]test[.]ts$', '/test-[^/]+[.]ts$', '^test/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
