/**
 * The declared response schemas (route-config.ts `schemas.response`) against what the routes really
 * answer: each covered route is called on a real app and database, and its body must parse with the
 * schema the OpenAPI document publishes and come out unchanged (zod drops undeclared fields, so an
 * answer with a field the schema lacks fails too).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import {
  markDeployed,
  recordingAction,
  startHealthServer,
  type HealthServer,
  type RecordingAction,
} from '../environment/test-environment.ts';
import { recordFiring } from '../schedule/firing.repo.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import { makeTestRepo } from '../template/test-git-repos.ts';
import { routeDocsOf } from './route-config.ts';

describe('declared response schemas', () => {
  // A real HTTP health check and a real switch action, for the environment routes.
  let server: HealthServer;
  let action: RecordingAction;
  let configDir: ReturnType<typeof makeConfigDir>;
  let config: EffectiveConfig;
  beforeAll(async () => {
    server = await startHealthServer('127.0.0.1');
    action = recordingAction();
    configDir = makeConfigDir({
      ...workspaceFiles('app', {
        enabled: true,
        deploy_schedule: '0 7 * * *',
        destroy_schedule: '0 19 * * *',
        hourly_cost: 2,
        variables: { region: 'eu-west-3', replicas: 2 },
        sensitive_variables: ['api_token'],
        jobs: [{ name: 'warm', type: 'script', script: 'echo warm', schedule: '@deployment', enabled: true }],
      }),
      'jobs/cleanup.json': { type: 'command', command: ['true'], schedule: '0 3 * * *', enabled: true },
      'environments/prod.json': {
        domain: 'shop.example.com',
        reserved_ips: ['198.51.100.1'],
        healthcheck: { type: 'http', port: server.port, timeout: '5s' },
        action: { command: [action.script, action.log, '{reserved_ip}', '{resource}', '{workspace}'] },
      },
    });
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(async () => {
    await server.close();
    action.cleanup();
    configDir.cleanup();
  });

  forEachDialect('declared response schemas', (harness) => {
    let f: ApiFixture;
    const declared = new Map<string, { status: number; schema: z.ZodType }>();
    // The dialect harness empties the database before each test, so each test builds its own app.
    beforeEach(async () => {
      declared.clear();
      f = apiFixture(harness.db, config);
      f.app.addHook('onRoute', (route) => {
        const response = routeDocsOf(route.config).schemas?.response;
        if (!response) return;
        for (const method of [route.method].flat()) {
          declared.set(method === 'GET' ? route.url : `${method} ${route.url}`, response);
        }
      });
      await f.app.ready();
      // A queued deploy and an override, so runs and the workspace's nested parts are not empty.
      const deploy = await f.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces/app/deploy',
        payload: {},
      });
      expect(deploy.statusCode, deploy.body).toBe(202);
      const override = await f.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces/app/overrides',
        payload: { kind: 'keep_up_until', for: '3h', reason: 'demo' },
      });
      expect(override.statusCode, override.body).toBe(201);
    });

    async function check(route: string, url: string, payload?: object, method: 'POST' | 'PUT' = 'POST') {
      const response = declared.get(payload ? `${method} ${route}` : route);
      expect(response, `${route} declares a response`).toBeDefined();
      const answer = await f.app.inject(payload ? { method, url, payload } : { url });
      expect(answer.statusCode, answer.body).toBe(response!.status);
      const body = answer.json();
      const parsed = response!.schema.safeParse(body);
      expect(parsed.error, `${url}: ${parsed.error?.message}`).toBeUndefined();
      expect(parsed.data, `${url}: fields the schema does not declare`).toEqual(body);
      return body;
    }

    it('GET /workspaces and /workspaces/{name} answer the Workspace schema, runs and overrides included', async () => {
      const list = await check('/api/v1/workspaces', '/api/v1/workspaces');
      expect(list.items).toHaveLength(1);
      const workspace = await check('/api/v1/workspaces/:name', '/api/v1/workspaces/app');
      expect(workspace.current_run).not.toBeNull();
      expect(workspace.overrides).toHaveLength(1);
      expect(workspace.next_firings.length).toBeGreaterThan(0);
    });

    it('GET /runs and /runs/{id} answer the Run schema', async () => {
      const list = await check('/api/v1/runs', '/api/v1/runs');
      expect(list.items).toHaveLength(1);
      await check('/api/v1/runs/:id', `/api/v1/runs/${list.items[0].id}`);
    });

    it('GET /workspaces/{name}/overrides and /me answer their schemas', async () => {
      const overrides = await check('/api/v1/workspaces/:name/overrides', '/api/v1/workspaces/app/overrides');
      expect(overrides.items).toHaveLength(1);
      await check('/api/v1/me', '/api/v1/me');
    });

    it('GET /workspaces/{name}/schedule answers the Schedule schema, firings, timeline and overrides included', async () => {
      const schedule = await check(
        '/api/v1/workspaces/:name/schedule',
        '/api/v1/workspaces/app/schedule?days=2',
      );
      expect(schedule.firings.length).toBeGreaterThan(0);
      expect(schedule.timeline.length).toBeGreaterThan(0);
      expect(schedule.overrides).toHaveLength(1);
    });

    it('GET /workspaces/{name}/firings answers a page of the LedgerFiring schema', async () => {
      // The scheduler writes the ledger; recorded here directly, one firing that ran and one skipped.
      const runs = await f.app.inject({ url: '/api/v1/runs' });
      const run = runs.json().items[0];
      for (const [outcome, runId, at] of [
        ['fired', run.id, '2026-01-05T07:00:00.000Z'],
        ['skipped', null, '2026-01-06T07:00:00.000Z'],
      ] as const) {
        await recordFiring(harness.db, {
          workspace: 'app',
          schedule_key: 'deploy_schedule[0]',
          action: 'deploy',
          scheduled_at: at,
          outcome,
          reason: outcome === 'skipped' ? 'calendar' : null,
          run_id: runId,
          recorded_at: f.clock.now(),
        });
      }
      const page = await check('/api/v1/workspaces/:name/firings', '/api/v1/workspaces/app/firings');
      expect(page.items.map((firing: { outcome: string }) => firing.outcome)).toEqual(['skipped', 'fired']);
    });

    it('GET /jobs and /jobs/{id} answer the Job schema, a workspace job with its last run and a standalone one', async () => {
      const run = await f.app.inject({ method: 'POST', url: '/api/v1/jobs/app.warm/run', payload: {} });
      expect(run.statusCode, run.body).toBe(202);
      const list = await check('/api/v1/jobs', '/api/v1/jobs');
      expect(list.items.map((job: { id: string }) => job.id)).toEqual(['app.warm', 'cleanup']);
      const job = await check('/api/v1/jobs/:id', '/api/v1/jobs/app.warm');
      expect(job.last_run).not.toBeNull();
    });

    it('GET /environments, /environments/{name} and POST …/switch answer the Environment schemas', async () => {
      await markDeployed(f.db, 'app', { load_balancers: '127.0.0.1' }, f.clock.now());
      const switched = await check('/api/v1/environments/:name/switch', '/api/v1/environments/prod/switch', {
        workspace: 'app',
      });
      expect(switched.result).toBe('switched');
      const list = await check('/api/v1/environments', '/api/v1/environments');
      expect(list.items).toHaveLength(1);
      const detail = await check('/api/v1/environments/:name', '/api/v1/environments/prod');
      expect(detail.assigned_workspace).toBe('app');
      expect(detail.switches).toHaveLength(1);
    });

    it('POST /templates, GET /templates and /templates/{name} answer the Template schema', async () => {
      const repo = makeTestRepo('stacks');
      try {
        const commit = repo.commit({ 'app/main.tf': 'resource "terraform_data" "x" {}\n' });
        const added = await check('/api/v1/templates', '/api/v1/templates', {
          name: 'app',
          url: repo.fileUrl,
          subdir: 'app',
        });
        expect(added.commit).toBe(commit);
        const list = await check('/api/v1/templates', '/api/v1/templates');
        expect(list.items).toHaveLength(1);
        await check('/api/v1/templates/:name', '/api/v1/templates/app');
      } finally {
        repo.cleanup();
      }
    });

    it('GET /audit answers a page of the AuditEntry schema', async () => {
      const page = await check('/api/v1/audit', '/api/v1/audit');
      expect(page.items.map((entry: { action: string }) => entry.action)).toContain('workspace.deploy');
    });

    it('POST /users, GET /users and /users/{username} answer the User schema', async () => {
      const created = await check('/api/v1/users', '/api/v1/users', {
        username: 'bob',
        password: 'correct horse battery staple',
        role: 'operator',
        workspaces: ['team-a-*'],
      });
      expect(created.locked_until).toBeNull();
      const list = await check('/api/v1/users', '/api/v1/users');
      expect(list.items.length).toBeGreaterThan(1);
      await check('/api/v1/users/:username', '/api/v1/users/bob');
    });

    it('POST /tokens answers the CreatedToken schema, GET /tokens a page of ApiToken', async () => {
      const created = await check('/api/v1/tokens', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      expect(created.token).toEqual(expect.any(String));
      const list = await check('/api/v1/tokens', '/api/v1/tokens');
      expect(list.items.map((token: { id: string }) => token.id)).toContain(created.id);
    });

    it('GET /workspaces/{name}/state answers the StateVersions schema, a version and the live lock included', async () => {
      const run = await claimNextQueued(harness.db, { owner: 'runner-a', leaseMs: 60_000, clock: f.clock });
      const caller = f.state.credentials.issue(run!);
      const document = { version: 4, serial: 1, lineage: 'lin', resources: [] };
      await f.state.backend.write('app', caller, Buffer.from(JSON.stringify(document)), undefined);
      await f.state.backend.lock(
        'app',
        caller,
        JSON.stringify({ ID: 'lock-1', Operation: 'OperationTypeApply' }),
      );
      const state = await check('/api/v1/workspaces/:name/state', '/api/v1/workspaces/app/state');
      expect(state.total).toBe(1);
      expect(state.versions[0]).toMatchObject({ serial: 1, lineage: 'lin', deleted: false });
      expect(state.lock).toMatchObject({ run_id: run!.id });
    });

    it('GET /savings answers the Savings schema', async () => {
      const report = await check('/api/v1/savings', '/api/v1/savings');
      expect(report.excluded).toEqual([]);
      expect(report.workspaces).toHaveLength(1);
      expect(report.total.buckets.length).toBeGreaterThan(0);
    });

    it('GET and PUT /workspaces/{name}/variables answer the Variables schema, sensitive values as set or not', async () => {
      const before = await check('/api/v1/workspaces/:name/variables', '/api/v1/workspaces/app/variables');
      expect(before.sensitive).toEqual([{ name: 'api_token', set: false, updated_at: null }]);
      const after = await check(
        '/api/v1/workspaces/:name/variables',
        '/api/v1/workspaces/app/variables',
        { sensitive: { api_token: 's3cret-value' } },
        'PUT',
      );
      expect(after.sensitive[0].set).toBe(true);
    });
  });
});
