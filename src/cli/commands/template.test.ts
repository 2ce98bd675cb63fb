import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { createTestToken } from '../../../test/helpers/auth-fixture.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { makeConfigDir } from '../../../test/helpers/config-dir.ts';
import { listAuditEntries } from '../../audit/audit.repo.ts';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import {
  makeTestRepo,
  startHttpGitServer,
  type HttpGitServer,
  type TestRepo,
} from '../../template/test-git-repos.ts';

let server: ApiServer;
let repo: TestRepo;
let http: HttpGitServer;
beforeAll(async () => {
  server = await startApiServer();
  repo = makeTestRepo('infra');
  http = await startHttpGitServer(repo.root, 'ci:t0ken-Value');
});
afterAll(async () => {
  await http.close();
  await server.close();
  repo.cleanup();
  // The fixture's data directory, where the API server's template copies went.
  rmSync(path.dirname(server.fixture.templates.cache.root), { recursive: true, force: true });
});
beforeEach(async () => {
  await server.reset();
  await server.fixture.db.deleteFrom('templates').execute();
  await server.fixture.db.deleteFrom('workspace_secrets').execute();
});

const tide = (args: string[], input?: string) =>
  runTideInProcess(args, { env: server.env, ...(input === undefined ? {} : { input }) });

describe('tide template (a client of a live API)', () => {
  it('adds a private template with a credential from stdin, lists, shows, refreshes and removes it', async () => {
    const first = repo.commit({ 'net/main.tf': 'resource "terraform_data" "a" {}\n' });
    const url = http.url('infra.git');
    const added = await tide(
      ['template', 'add', 'net', url, '--path', 'net', '--credential-stdin'],
      'ci:t0ken-Value\n',
    );
    expect(added).toMatchObject({
      status: 0,
      stdout: `Template net pinned to ${first.slice(0, 12)} (main)\n`,
    });

    const list = await tide(['template', 'list']);
    expect(list.stdout).toMatch(/^NAME\s+SOURCE\s+REF\s+COMMIT\s+REFRESHED\s+USED BY\n/);
    expect(list.stdout).toContain(`${url}//net`);
    const shown = JSON.parse((await tide(['template', 'show', 'net', '--json'])).stdout);
    expect(shown).toMatchObject({
      name: 'net',
      commit: first,
      subdir: 'net',
      credential_secret: 'net',
      used_by: [],
    });
    expect((await tide(['template', 'show', 'net'])).stdout).toMatch(/Commit:\s+[0-9a-f]{40}\n/);

    const unchanged = await tide(['template', 'refresh', 'net']);
    expect(unchanged.stdout).toBe(`Template net unchanged at ${first.slice(0, 12)} (main)\n`);
    const second = repo.commit({ 'net/main.tf': 'resource "terraform_data" "b" {}\n' });
    const refreshed = await tide(['template', 'refresh', 'net']);
    expect(refreshed.stdout).toContain(
      `Template net pinned to ${second.slice(0, 12)} (was ${first.slice(0, 12)})`,
    );

    expect(await tide(['template', 'remove', 'net'])).toMatchObject({
      status: 2,
      stderr:
        'tide: refusing to remove template net without confirmation: stdin is not a terminal; use --yes\n',
    });
    expect((await tide(['template', 'remove', 'net', '--yes'])).stdout).toBe('Template net removed\n');
    expect((await tide(['template', 'list'])).stdout).toBe(
      'No templates from git (local ones live in templates/)\n',
    );

    // Audited, by the credential's name only.
    const { items: entries } = await listAuditEntries(server.fixture.db, { limit: 50, cursor: null });
    const actions = entries.map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['template.add', 'template.refresh', 'template.remove']));
    expect(JSON.stringify(entries)).not.toContain('t0ken-Value');
  });

  it('fails with git_failed (exit 5) without showing the credential, and with not_found (exit 3)', async () => {
    repo.commit({ 'main.tf': 'resource "terraform_data" "a" {}\n' });
    const refused = await tide(
      ['template', 'add', 'net', http.url('infra.git'), '--credential-stdin'],
      'ci:wr0ng-Value',
    );
    expect(refused.status).toBe(5);
    expect(refused.stderr).toMatch(/^tide: git ls-remote http:\/\/127\.0\.0\.1:\d+\/infra\.git failed: /);
    expect(refused.stderr).not.toContain('wr0ng-Value');
    expect(await tide(['template', 'show', 'nope'])).toMatchObject({
      status: 3,
      stderr: 'tide: template "nope" does not exist\n',
    });
  });

  it('lets readers list but only admins change templates', async () => {
    const token = await createTestToken(server.fixture.db, { username: 'otto', role: 'operator' });
    const env = { ...server.env, TIDE_TOKEN: token };
    expect((await runTideInProcess(['template', 'list', '--json'], { env })).stdout).toBe('[]\n');
    const refused = await runTideInProcess(['template', 'add', 'net', repo.fileUrl], { env });
    expect(refused.status).toBe(7);
  });
});

describe('tide validate with the template registry', () => {
  it('accepts a workspace on a registered git template when it can read the database, and names it otherwise', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
    const config = makeConfigDir({ 'workspaces/web/config.json': { enabled: true, template: 'net' } });
    try {
      const store = await openDatabase({ dataDir });
      await migrateToLatest(store);
      await store.db
        .insertInto('templates')
        .values({
          name: 'net',
          url: 'https://example.invalid/net.git',
          ref: 'main',
          subdir: '',
          commit_sha: 'a'.repeat(40),
          content_hash: 'b'.repeat(64),
          description: '',
          credential_secret: null,
          created_at: '2027-03-15T06:00:00.000Z',
          created_by: 'admin',
          refreshed_at: '2027-03-15T06:00:00.000Z',
          refreshed_by: 'admin',
        })
        .execute();
      await store.close();

      const known = await runTideInProcess(['validate', config.dir, '--data-dir', dataDir]);
      expect(known).toMatchObject({ status: 0 });
      expect(known.stdout).toContain('0 templates (and 1 from git)');
      const unknown = await runTideInProcess([
        'validate',
        config.dir,
        '--data-dir',
        path.join(dataDir, 'none'),
      ]);
      expect(unknown.status).toBe(1);
      expect(unknown.stdout).toContain(
        'template "net" does not exist (looked in templates/ and the template registry)',
      );
    } finally {
      config.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
