/**
 * State is the cluster's, not a replica's: what one replica's engine created, another replica's engine
 * sees and destroys. Two real daemons on one PostgreSQL database, each with its own data directory (no
 * disk shared), the real engine, and a destroy-time provisioner that removes what the create made.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';
import { forEachDialect } from '../helpers/databases.ts';

forEachDialect('state shared by the replicas of a cluster', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  const harnesses: DaemonHarness[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  onPostgres(
    'destroys on replica B what replica A deployed, then deploys it anew on B: every create has its destroy',
    async () => {
      const { url } = await harness.freshDatabase();
      const markers = mkdtempSync(path.join(tmpdir(), 'tide-shared-state-'));
      dirs.push(markers);
      const files = {
        'workspaces/web/config.json': { enabled: true },
        'workspaces/web/main.tf': markerWorkspaceTf(markers),
      };
      const start = '2027-06-01T07:00:00Z';
      // What replicas of one cluster share besides the database (docs/ha.md): the keys.
      const shared = {
        databaseUrl: url,
        encryptionKey: randomBytes(32),
        jwtSecret: randomBytes(32).toString('base64'),
      };
      const a = await daemonHarness(files, start, shared);
      harnesses.push(a);
      const deploy = await a.api('POST', '/api/v1/workspaces/web/deploy', {});
      expect(await a.finished(deploy.body.id)).toMatchObject({ state: 'succeeded' });
      expect(existsSync(path.join(markers, 'web.up'))).toBe(true);
      await a.daemon.close(2000);

      const b = await daemonHarness(files, start, shared);
      harnesses.push(b);
      const destroy = await b.api('POST', '/api/v1/workspaces/web/destroy', {});
      const destroyed = await b.finished(destroy.body.id);
      expect(destroyed).toMatchObject({
        state: 'succeeded',
        plan_summary: { add: 0, change: 0, destroy: 1 },
      });
      expect(existsSync(path.join(markers, 'web.up'))).toBe(false);

      const again = await b.api('POST', '/api/v1/workspaces/web/deploy', {});
      expect(await b.finished(again.body.id)).toMatchObject({
        state: 'succeeded',
        plan_summary: { add: 1, change: 0, destroy: 0 },
      });
      const state = await b.api('GET', '/api/v1/workspaces/web/state');
      expect(state.body.versions.map((v: { run_id: string }) => v.run_id)).toEqual([
        again.body.id,
        destroy.body.id,
        deploy.body.id,
      ]);
    },
    180_000,
  );
});
