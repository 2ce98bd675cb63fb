import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  apiFixture,
  FIXTURE_ENCRYPTION_KEY,
  FIXTURE_NOW,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { createTestToken, type TestUser } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { SecretStore } from '../secrets/secret-store.ts';

const TOKEN = 'tok-9f8e7d6c5b4a';
const PASSWORD = 'correct horse battery staple';

describe('variables routes', () => {
  const configDir = makeConfigDir({
    ...workspaceFiles('app', {
      enabled: true,
      variables: { region: 'eu-west-3', replicas: 2 },
      sensitive_variables: ['api_token', 'db_password'],
    }),
    ...workspaceFiles('plain', { enabled: true }),
    ...workspaceFiles('broken', { enabled: true, deploy_schedule: 'never' }),
  });
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  forEachDialect('variables routes', (harness) => {
    let f: ApiFixture;
    beforeEach(() => {
      f = apiFixture(harness.db, config);
    });
    const url = (name: string) => `/api/v1/workspaces/${name}/variables`;
    const put = (name: string, payload: unknown) =>
      f.app.inject({ method: 'PUT', url: url(name), payload: payload as object });
    const read = (name: string) => f.app.inject({ url: url(name) });

    it('shows configured variables and every declared sensitive one as unset at first', async () => {
      const response = await read('app');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        variables: { region: 'eu-west-3', replicas: 2 },
        sensitive: [
          { name: 'api_token', set: false, updated_at: null },
          { name: 'db_password', set: false, updated_at: null },
        ],
      });
    });

    it('stores values encrypted, says when they were set, and never returns them', async () => {
      const response = await put('app', { sensitive: { api_token: TOKEN, db_password: PASSWORD } });
      expect(response.statusCode).toBe(200);
      expect(response.json().sensitive).toEqual([
        { name: 'api_token', set: true, updated_at: FIXTURE_NOW },
        { name: 'db_password', set: true, updated_at: FIXTURE_NOW },
      ]);
      const shown = (await read('app')).body;
      for (const body of [response.body, shown]) {
        expect(body).not.toContain(TOKEN);
        expect(body).not.toContain(PASSWORD);
      }
      const rows = await harness.db.selectFrom('workspace_secrets').selectAll().execute();
      expect(rows).toHaveLength(2);
      expect(JSON.stringify(rows)).not.toContain(TOKEN);
      const store = new SecretStore({
        db: harness.db,
        clock: f.clock,
        keyring: makeKeyring(FIXTURE_ENCRYPTION_KEY),
      });
      expect(await store.resolve('app', ['api_token', 'db_password'])).toEqual({
        api_token: TOKEN,
        db_password: PASSWORD,
      });
    });

    it('changes only the names given, and deletes a value with null', async () => {
      await put('app', { sensitive: { api_token: TOKEN, db_password: PASSWORD } });
      f.clock.set('2027-03-15T07:00:00.000Z');
      const response = await put('app', { sensitive: { api_token: null, db_password: 'rotated-pass' } });
      expect(response.json().sensitive).toEqual([
        { name: 'api_token', set: false, updated_at: null },
        { name: 'db_password', set: true, updated_at: '2027-03-15T07:00:00.000Z' },
      ]);
      expect(await f.secrets.resolve('app', ['api_token', 'db_password'])).toEqual({
        db_password: 'rotated-pass',
      });
    });

    it('rejects names the workspace does not declare, naming each, and writes nothing', async () => {
      const response = await put('app', {
        sensitive: { api_token: TOKEN, region: 'us-east-1', other: 'abcd' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'validation_failed',
        message:
          'not sensitive variables of workspace "app": region, other (declared: api_token, db_password)',
        details: { undeclared: ['region', 'other'] },
      });
      const none = await put('plain', { sensitive: { api_token: TOKEN } });
      expect(none.json().error.message).toContain('(declared: none)');
      expect(await harness.db.selectFrom('workspace_secrets').selectAll().execute()).toEqual([]);
    });

    it('rejects values too short to mask, NUL characters, wrong types and unknown fields', async () => {
      for (const body of [
        { sensitive: { api_token: 'abc' } },
        { sensitive: { api_token: 'abcd\u0000efg' } },
        { sensitive: { api_token: 12345 } },
        { sensitive: { 'not a name': 'abcdefgh' } },
        { sensitive: 'abcdefgh' },
        { sensitive: {}, values: {} },
        {},
      ]) {
        const response = await put('app', body);
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
      }
      expect(await harness.db.selectFrom('workspace_secrets').selectAll().execute()).toEqual([]);
    });

    it('lets a viewer read but not set, and an operator set only within its workspace patterns', async () => {
      const as = async (user: TestUser, method: 'GET' | 'PUT') => {
        const token = await createTestToken(harness.db, user);
        const payload = method === 'PUT' ? { sensitive: { api_token: TOKEN } } : undefined;
        return f.app.inject({
          method,
          url: url('app'),
          payload,
          headers: { authorization: `Bearer ${token}` },
        });
      };
      const viewer: TestUser = { username: 'vera', role: 'viewer' };
      expect((await as(viewer, 'GET')).statusCode).toBe(200);
      expect((await as(viewer, 'PUT')).statusCode).toBe(403);
      const elsewhere: TestUser = { username: 'otto', role: 'operator', workspaces: ['shop-*'] };
      expect((await as(elsewhere, 'GET')).statusCode).toBe(403);
      expect((await as(elsewhere, 'PUT')).statusCode).toBe(403);
      expect((await as({ username: 'olga', role: 'operator', workspaces: ['app'] }, 'PUT')).statusCode).toBe(
        200,
      );
      expect((await f.anonymous({ url: url('app') })).statusCode).toBe(401);
    });

    it('audits which names changed, never the values', async () => {
      await put('app', { sensitive: { api_token: TOKEN, db_password: null } });
      const entries = await harness.db.selectFrom('audit_log').selectAll().execute();
      const entry = entries.find((e) => e.action === 'workspace.set_variables');
      expect(entry).toMatchObject({ target: 'workspace:app', result: 'success' });
      expect(JSON.parse(entry!.details!)).toEqual({ set: ['api_token'], deleted: ['db_password'] });
      expect(JSON.stringify(entries)).not.toContain(TOKEN);
    });

    it('answers 404 for an unknown workspace, 409 for one never valid, 400 for a bad name', async () => {
      expect((await read('ghost')).statusCode).toBe(404);
      expect((await put('ghost', { sensitive: {} })).statusCode).toBe(404);
      const broken = await read('broken');
      expect(broken.statusCode).toBe(409);
      expect(broken.json().error.code).toBe('config_invalid');
      expect((await read('..%2Fetc')).statusCode).toBe(400);
    });
  });
});
