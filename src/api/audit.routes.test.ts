import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_AUDIT_KEY, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { verifyAuditChain } from '../audit/audit-log.ts';

interface AuditItem {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  result: string;
  source_ip: string | null;
  request_id: string | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

forEachApiDialect('audit', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'POST', url, payload, headers, remoteAddress: '10.1.2.3' });
  const list = async (query = ''): Promise<{ items: AuditItem[]; next_cursor: string | null }> => {
    const response = await f.app.inject({ url: `/api/v1/audit${query}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  describe('recording mutations', () => {
    it('records a deploy with actor, target, source IP, request id and the queued run', async () => {
      const response = await post(
        '/api/v1/workspaces/web/deploy',
        { mode: 'large' },
        { 'x-request-id': 'req-42' },
      );
      expect(response.statusCode).toBe(202);

      const { items } = await list();
      expect(items).toEqual([
        {
          id: 1,
          at: '2027-03-15T06:00:00.000Z',
          actor: 'fixture-admin',
          action: 'workspace.deploy',
          target: 'workspace:web',
          result: 'success',
          source_ip: '10.1.2.3',
          request_id: 'req-42',
          details: { mode: 'large', run_id: response.json().id },
          prev_hash: '0'.repeat(64),
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ]);
    });

    it('records a refused mutation as a failure with its error code', async () => {
      const response = await post('/api/v1/workspaces/vault/destroy');
      expect(response.statusCode).toBe(409);

      const [item] = (await list()).items;
      expect(item).toMatchObject({
        action: 'workspace.destroy',
        target: 'workspace:vault',
        result: 'failure',
        details: { error: response.json().error.code },
      });
    });

    it('records plan, enable, disable and cancel, each in the chain', async () => {
      const plan = await post('/api/v1/workspaces/web/plan');
      await post('/api/v1/workspaces/idle/enable');
      await post('/api/v1/workspaces/idle/disable');
      await post(`/api/v1/runs/${plan.json().id}/cancel`);

      const { items } = await list();
      expect(items.map((item) => [item.action, item.target, item.result])).toEqual([
        ['run.cancel', `run:${plan.json().id}`, 'success'],
        ['workspace.disable', 'workspace:idle', 'success'],
        ['workspace.enable', 'workspace:idle', 'success'],
        ['workspace.plan', 'workspace:web', 'success'],
      ]);
      expect(await verifyAuditChain(f.db, { key: FIXTURE_AUDIT_KEY })).toEqual({
        ok: true,
        entries: 4,
        unsigned: 0,
      });
    });

    it('names the authenticated principal as the actor', async () => {
      const alice = await createTestAccessToken(f.db, f.auth, { username: 'alice', role: 'operator' });
      await post('/api/v1/workspaces/web/plan', undefined, { authorization: `Bearer ${alice}` });
      expect((await list()).items[0]).toMatchObject({ actor: 'alice', action: 'workspace.plan' });
    });
  });

  describe('GET /api/v1/audit', () => {
    beforeEach(async () => {
      const entry = { target: 'workspace:web', sourceIp: null, requestId: null } as const;
      await f.audit.record({ ...entry, actor: 'alice', action: 'workspace.deploy', result: 'success' });
      f.clock.advance(60_000);
      await f.audit.record({ ...entry, actor: 'bob', action: 'workspace.destroy', result: 'failure' });
      f.clock.advance(60_000);
      await f.audit.record({
        ...entry,
        actor: 'alice',
        action: 'auth.login',
        target: null,
        result: 'denied',
      });
      f.clock.advance(60_000);
      await f.audit.record({ ...entry, actor: 'alice', action: 'workspace.destroy', result: 'success' });
    });
    const ids = (items: AuditItem[]) => items.map((item) => item.id);

    it('lists newest first and filters by actor, action, target and result', async () => {
      expect(ids((await list()).items)).toEqual([4, 3, 2, 1]);
      expect(ids((await list('?actor=alice')).items)).toEqual([4, 3, 1]);
      expect(ids((await list('?action=workspace.destroy')).items)).toEqual([4, 2]);
      expect(ids((await list('?target=workspace:web&actor=alice')).items)).toEqual([4, 1]);
      expect(ids((await list('?result=denied')).items)).toEqual([3]);
    });

    it('filters by time: since is inclusive, until exclusive', async () => {
      const since = encodeURIComponent('2027-03-15T06:01:00Z');
      const until = encodeURIComponent('2027-03-15T08:03:00+02:00');
      expect(ids((await list(`?since=${since}&until=${until}`)).items)).toEqual([3, 2]);
    });

    it('pages with limit and cursor, keeping filters', async () => {
      const first = await list('?actor=alice&limit=2');
      expect(ids(first.items)).toEqual([4, 3]);
      const second = await list(`?actor=alice&limit=2&cursor=${first.next_cursor}`);
      expect(ids(second.items)).toEqual([1]);
      expect(second.next_cursor).toBeNull();
    });

    it('rejects unknown parameters, a bad result, a bad instant and a bad cursor', async () => {
      for (const query of [
        'colour=red',
        'result=ok',
        'since=yesterday',
        'action=deploy',
        'cursor=bm9wZQ',
        'limit=0',
      ]) {
        const response = await f.app.inject({ url: `/api/v1/audit?${query}` });
        expect(response.statusCode, query).toBe(400);
      }
    });

    it('is declared for admins only, and refuses an operator', async () => {
      const declared: unknown[] = [];
      const app = fixture().app;
      app.addHook('onRoute', (route) => {
        if (route.url === '/api/v1/audit' && route.method === 'GET') declared.push(route.config);
      });
      await app.ready();
      // Other keys (summary, schemas) feed the OpenAPI document; the permission is what matters here.
      expect(declared).toEqual([expect.objectContaining({ permission: 'admin' })]);

      const operator = await createTestAccessToken(f.db, f.auth, { username: 'olga', role: 'operator' });
      const refused = await f.app.inject({
        url: '/api/v1/audit',
        headers: { authorization: `Bearer ${operator}` },
      });
      expect(refused.statusCode).toBe(403);
      expect((await f.anonymous({ url: '/api/v1/audit' })).statusCode).toBe(401);
    });
  });
});
