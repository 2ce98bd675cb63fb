import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';

const WORKSPACES = ['shared', 'team-a-db', 'team-a-web', 'team-b-x'];

forEachDialect('role-based access', (harness) => {
  const configDir = makeConfigDir(
    Object.assign(
      {},
      ...WORKSPACES.map((name) => workspaceFiles(name, { enabled: true, deploy_schedule: '0 8 * * *' })),
    ),
  );
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  let f: ApiFixture;
  let viewer: string;
  let teamA: string;
  beforeEach(async () => {
    f = apiFixture(harness.db, config);
    viewer = await createTestToken(harness.db, { username: 'vera', role: 'viewer' });
    teamA = await createTestToken(harness.db, {
      username: 'otto',
      role: 'operator',
      workspaces: ['team-a-*'],
    });
    for (const workspace of WORKSPACES) await f.runs.enqueue({ workspace, action: 'plan', trigger: 'api' });
  });
  const as = (token: string, method: 'GET' | 'POST', url: string) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
  const names = (body: { items: { name?: string; workspace?: string }[] }) =>
    body.items.map((item) => item.name ?? item.workspace).sort();

  describe('roles', () => {
    it('lets a viewer read but not deploy, plan, enable or cancel', async () => {
      expect((await as(viewer, 'GET', '/api/v1/workspaces/shared')).statusCode).toBe(200);
      for (const url of [
        '/api/v1/workspaces/shared/deploy',
        '/api/v1/workspaces/shared/plan',
        '/api/v1/workspaces/shared/disable',
        '/api/v1/runs/run-0001/cancel',
      ]) {
        const response = await as(viewer, 'POST', url);
        expect(response.statusCode, url).toBe(403);
        expect(response.json().error.code, url).toBe('forbidden');
      }
      const denied = (await f.app.inject({ url: '/api/v1/audit?action=auth.denied' })).json().items;
      expect(denied[0]).toMatchObject({
        actor: expect.stringMatching(/^token:vera\/vera-/),
        result: 'denied',
      });
    });

    it('keeps users, every token and the audit log to admins', async () => {
      for (const url of ['/api/v1/users', '/api/v1/audit']) {
        expect((await as(teamA, 'GET', url)).statusCode, url).toBe(403);
        expect((await f.app.inject({ url })).statusCode, url).toBe(200);
      }
    });
  });

  describe('workspace patterns', () => {
    it('lets an operator limited to team-a-* act on team-a workspaces only', async () => {
      expect((await as(teamA, 'POST', '/api/v1/workspaces/team-a-web/disable')).statusCode).toBe(200);
      for (const url of ['/api/v1/workspaces/team-b-x/deploy', '/api/v1/workspaces/team-b-x/disable']) {
        const response = await as(teamA, 'POST', url);
        expect(response.statusCode, url).toBe(403);
        expect(response.json().error.message).toBe('workspace "team-b-x" is outside your workspace patterns');
      }
      for (const url of [
        '/api/v1/workspaces/team-b-x',
        '/api/v1/workspaces/team-b-x/firings',
        '/api/v1/workspaces/shared/schedule',
      ])
        expect((await as(teamA, 'GET', url)).statusCode, url).toBe(403);
    });

    it('leaves workspaces and runs outside the patterns out of the lists, with full pages', async () => {
      expect(names((await as(teamA, 'GET', '/api/v1/workspaces')).json())).toEqual([
        'team-a-db',
        'team-a-web',
      ]);
      expect(names((await as(teamA, 'GET', '/api/v1/runs')).json())).toEqual(['team-a-db', 'team-a-web']);
      const firstPage = (await as(teamA, 'GET', '/api/v1/runs?limit=1')).json();
      expect(firstPage.items).toHaveLength(1);
      expect(names((await as(teamA, 'GET', '/api/v1/runs?workspace=team-b-x')).json())).toEqual([]);
      expect(names((await as(viewer, 'GET', '/api/v1/runs')).json())).toEqual(WORKSPACES);
    });

    it('refuses a run, its log, its followed log and its cancel outside the patterns', async () => {
      const { items } = (await f.app.inject({ url: '/api/v1/runs?workspace=team-b-x' })).json();
      const id = items[0].id as string;
      await appendLogChunk(harness.db, id, {
        stream: 'stdout',
        content: 'secret-ish output',
        created_at: f.clock.now(),
      });
      for (const [method, url] of [
        ['GET', `/api/v1/runs/${id}`],
        ['GET', `/api/v1/runs/${id}/logs`],
        ['GET', `/api/v1/runs/${id}/logs?follow=true`],
        ['POST', `/api/v1/runs/${id}/cancel`],
      ] as const) {
        const response = await as(teamA, method, url);
        expect(response.statusCode, url).toBe(403);
        expect(response.body, url).not.toContain('secret-ish');
      }
    });

    it('caps an API token by the current role and patterns of the user who made it', async () => {
      const broad = await createTestToken(
        harness.db,
        { username: 'otto', role: 'operator' },
        { role: 'operator', workspaces: null },
      );
      expect((await as(broad, 'GET', '/api/v1/workspaces/team-b-x')).statusCode).toBe(403);
      const update = await f.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/otto',
        payload: { role: 'viewer' },
      });
      expect(update.statusCode).toBe(200);
      expect((await as(teamA, 'POST', '/api/v1/workspaces/team-a-web/plan')).statusCode).toBe(403);
    });
  });
});
