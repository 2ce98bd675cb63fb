/**
 * The dashboard's routes, typed (TanStack Router, code-based). The fleet and runs pages are in the
 * initial bundle; the heavier pages load when first opened (lazyRouteComponent), which keeps the first
 * load small (docs/benchmarks.md).
 */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent } from '@tanstack/react-router';
import type { WorkspaceStatus } from './api/types';
import { App } from './App';
import { ErrorView } from './components/Feedback';
import { FleetPage, type FleetSearch } from './features/workspaces/FleetPage';
import { RunsPage, type RunsSearch } from './features/runs/RunsPage';

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

const rootRoute = createRootRoute({
  component: App,
  notFoundComponent: () => <p>No such page.</p>,
  errorComponent: ({ error }) => <ErrorView error={error} />,
});

const fleetRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  component: FleetPage,
  validateSearch: (search: Record<string, unknown>): FleetSearch => ({
    q: text(search.q),
    status: text(search.status) as WorkspaceStatus | undefined,
  }),
});

const timelineRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/timeline',
  component: lazyRouteComponent(() => import('./features/workspaces/FleetTimelinePage'), 'FleetTimelinePage'),
});

const workspaceRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/workspaces/$name',
  component: lazyRouteComponent(() => import('./features/workspaces/WorkspacePage'), 'WorkspacePage'),
});

const runsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs',
  component: RunsPage,
  validateSearch: (search: Record<string, unknown>): RunsSearch => ({
    workspace: text(search.workspace),
    state: text(search.state),
    trigger: text(search.trigger) as RunsSearch['trigger'],
  }),
});

const runRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/runs/$id',
  component: lazyRouteComponent(() => import('./features/runs/RunPage'), 'RunPage'),
});

/** The pages of phase 2, each loaded when first opened. */
const lazyPage = <Path extends string>(
  path: Path,
  load: () => Promise<Record<string, unknown>>,
  name: string,
) => createRoute({ getParentRoute: () => rootRoute, path, component: lazyRouteComponent(load, name) });

const jobsRoute = lazyPage('/jobs', () => import('./features/jobs/JobsPage'), 'JobsPage');
const templatesRoute = lazyPage(
  '/templates',
  () => import('./features/templates/TemplatesPage'),
  'TemplatesPage',
);
const environmentsRoute = lazyPage(
  '/environments',
  () => import('./features/environments/EnvironmentsPage'),
  'EnvironmentsPage',
);
const auditRoute = lazyPage('/audit', () => import('./features/audit/AuditPage'), 'AuditPage');
const usersRoute = lazyPage('/users', () => import('./features/admin/UsersPage'), 'UsersPage');
const tokensRoute = lazyPage('/tokens', () => import('./features/admin/TokensPage'), 'TokensPage');
const deliveriesRoute = lazyPage(
  '/notifications',
  () => import('./features/notifications/DeliveriesPage'),
  'DeliveriesPage',
);

const routeTree = rootRoute.addChildren([
  fleetRoute,
  timelineRoute,
  workspaceRoute,
  runsRoute,
  runRoute,
  jobsRoute,
  templatesRoute,
  environmentsRoute,
  auditRoute,
  usersRoute,
  tokensRoute,
  deliveriesRoute,
]);

export const router = createRouter({ routeTree, defaultPreload: 'intent' });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
