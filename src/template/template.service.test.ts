import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { makeConfigDir } from '../../test/helpers/config-dir.ts';
import { ManualTimers } from '../../test/helpers/scheduler-harness.ts';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../config/effective-config.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { ManualClock } from '../time/clock.ts';
import {
  makeTestRepo,
  startGitDaemon,
  startHttpGitServer,
  type HttpGitServer,
  type TestGitServer,
  type TestRepo,
} from './test-git-repos.ts';
import { TemplateService } from './template.service.ts';
import { templateRegistryLoop } from './template-registry.ts';
import { findTemplateRow, insertTemplateRow, updateTemplatePin } from './template.repo.ts';
import type { Logger } from '../log/logger.ts';

const keyring = makeKeyring(Buffer.alloc(32, 7));
const mainTf = (label: string) => `resource "terraform_data" "${label}" {}\n`;

forEachDialect('templates from git', (harness) => {
  let repo: TestRepo;
  let dataDir: string;
  let clock: ManualClock;
  let config: EffectiveConfig | null;
  let changes: number;
  let service: TemplateService;
  const cleanups: (() => void)[] = [];

  const newService = (dir = dataDir) =>
    new TemplateService({
      db: harness.db,
      keyring,
      clock,
      dataDir: dir,
      config: config ? () => config! : undefined,
      onChange: () => changes++,
    });

  beforeEach(() => {
    repo = makeTestRepo();
    dataDir = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
    clock = new ManualClock('2027-03-15T06:00:00.000Z');
    config = null;
    changes = 0;
    service = newService();
    cleanups.push(repo.cleanup, () => rmSync(dataDir, { recursive: true, force: true }));
  });
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** A config directory with workspace `web` on template `net`, assembled with the registry as it is now. */
  async function configWithWorkspace(): Promise<EffectiveConfig> {
    const dir = makeConfigDir({
      'workspaces/web/config.json': { template: 'net' },
      'jobs/seed.json': { type: 'template', template: 'net', schedule: '0 3 * * *' },
    });
    cleanups.push(dir.cleanup);
    const { snapshot } = await loadConfigDirectory(dir.dir, {
      defaultTimeZone: 'UTC',
      registeredTemplates: () => service.registered(),
    });
    return applySnapshot(null, snapshot).next;
  }

  it('pins the commit the ref names, with the content hash of the subdirectory, and keeps it until a refresh', async () => {
    const first = repo.commit({ 'net/main.tf': mainTf('one'), 'README.md': 'not in the template' });
    const added = await service.add({ name: 'net', url: repo.fileUrl, subdir: 'net' }, 'admin');
    expect(added).toMatchObject({
      name: 'net',
      ref: 'main',
      subdir: 'net',
      commit: first,
      created_by: 'admin',
      refreshed_at: '2027-03-15T06:00:00.000Z',
      credential_secret: null,
    });
    expect(added.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(changes).toBe(1);
    expect(service.registered()).toEqual(new Map([['net', added.content_hash]]));

    const second = repo.commit({ 'net/main.tf': mainTf('two') });
    const pinned = await service.resolve('net');
    expect(pinned?.directory).toBe(path.join(dataDir, 'templates', 'net', first));
    expect(pinned?.files).toEqual(['main.tf']);
    expect(readFileSync(path.join(pinned!.directory, 'main.tf'), 'utf8')).toBe(mainTf('one'));

    clock.advance(60_000);
    const refreshed = await service.refresh('net', 'operator-bob');
    expect(refreshed).toMatchObject({ previous_commit: first, changed: true });
    expect(refreshed.template).toMatchObject({ commit: second, refreshed_by: 'operator-bob' });
    expect(refreshed.template.content_hash).not.toBe(added.content_hash);
    const now = await service.resolve('net');
    expect(readFileSync(path.join(now!.directory, 'main.tf'), 'utf8')).toBe(mainTf('two'));

    const again = await service.refresh('net', 'admin');
    expect(again).toMatchObject({ previous_commit: second, changed: false });
    expect(await service.list()).toHaveLength(1);
  });

  it("feeds the pinned template's content hash into the workspace's, so a refresh changes the workspace", async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    const before = (await configWithWorkspace()).workspaces.get('web')?.definition?.contentHash;
    expect(before).toBeDefined();
    repo.commit({ 'main.tf': mainTf('two') });
    expect((await configWithWorkspace()).workspaces.get('web')?.definition?.contentHash).toBe(before);
    await service.refresh('net', 'admin');
    const after = (await configWithWorkspace()).workspaces.get('web')?.definition?.contentHash;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('refuses to remove a template a workspace or job uses, naming them; removes it once unused', async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    config = await configWithWorkspace();
    service = newService();
    await service.load();
    await expect(service.remove('net', 'admin')).rejects.toMatchObject({
      code: 'conflict',
      message: 'template "net" is in use by job:seed, web; change their configuration first',
      details: { used_by: ['job:seed', 'web'] },
    });
    expect((await service.get('net')).used_by).toEqual(['job:seed', 'web']);
    config = null;
    service = newService();
    await service.remove('net', 'admin');
    await expect(service.get('net')).rejects.toMatchObject({ code: 'not_found' });
    expect(await service.resolve('net')).toBeUndefined();
  });

  it('answers a bad URL, ref or subdirectory with git_failed and a message that says which', async () => {
    repo.commit({ 'net/main.tf': mainTf('one') });
    await expect(
      service.add({ name: 'net', url: `file://${repo.root}/missing.git` }, 'admin'),
    ).rejects.toMatchObject({ code: 'git_failed', message: expect.stringContaining('git ls-remote') });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, ref: 'no-such-branch' }, 'admin'),
    ).rejects.toMatchObject({
      code: 'git_failed',
      message: `ref "no-such-branch" does not exist in ${repo.fileUrl} (no branch or tag of that name)`,
    });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, subdir: 'nope' }, 'admin'),
    ).rejects.toMatchObject({
      code: 'git_failed',
      message: expect.stringMatching(/^subdirectory "nope" does not exist at commit [0-9a-f]{12} of file:/),
    });
    await expect(service.add({ name: 'net', url: repo.fileUrl }, 'admin')).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('no *.tf files in the repository root'),
    });
    await expect(
      service.add({ name: 'net', url: 'https://user:hunter2@example.invalid/x.git' }, 'admin'),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.not.stringContaining('hunter2'),
    });
    await expect(service.add({ name: 'net', url: 'ext::sh -c evil' }, 'admin')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, subdir: '../etc' }, 'admin'),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service.add({ name: '../x', url: repo.fileUrl }, 'admin')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(await service.list()).toEqual([]);
  });

  it('pins a tag (annotated tags to their commit) and a commit given as the ref', async () => {
    const tagged = repo.commit({ 'main.tf': mainTf('one') }, { tag: 'v1.0.0' });
    repo.commit({ 'main.tf': mainTf('two') });
    expect((await service.add({ name: 'net', url: repo.fileUrl, ref: 'v1.0.0' }, 'admin')).commit).toBe(
      tagged,
    );
    expect((await service.add({ name: 'old', url: repo.fileUrl, ref: tagged }, 'admin')).commit).toBe(tagged);
    await expect(service.add({ name: 'net', url: repo.fileUrl }, 'admin')).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('fetches the pinned commit again on another replica, even after the branch moved on', async () => {
    const first = repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    repo.commit({ 'main.tf': mainTf('two') });
    const otherData = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
    cleanups.push(() => rmSync(otherData, { recursive: true, force: true }));
    const replica = newService(otherData);
    expect(await replica.load()).toBe(true);
    const template = await replica.resolve('net');
    expect(template?.directory).toBe(path.join(otherData, 'templates', 'net', first));
    expect(readFileSync(path.join(template!.directory, 'main.tf'), 'utf8')).toBe(mainTf('one'));
    expect(await replica.load()).toBe(false);
  });

  it('repairs a damaged copy, and refuses a commit whose content is not what was pinned', async () => {
    const first = repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    const copy = path.join(dataDir, 'templates', 'net', first, 'main.tf');
    writeFileSync(copy, 'edited by hand');
    expect(readFileSync((await service.resolve('net'))!.directory + '/main.tf', 'utf8')).toBe(mainTf('one'));

    await harness.db
      .updateTable('templates')
      .set({ content_hash: 'f'.repeat(64) })
      .execute();
    rmSync(path.join(dataDir, 'templates'), { recursive: true, force: true });
    await expect(service.resolve('net')).rejects.toMatchObject({
      code: 'git_failed',
      message: expect.stringContaining('has other content than when it was pinned'),
    });
  });

  it('keeps a good copy another replica sharing the data directory already put in place', async () => {
    const first = repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    await harness.db.deleteFrom('templates').execute();
    const copy = path.join(dataDir, 'templates', 'net', first);
    const before = statSync(copy).ino;
    await newService().add({ name: 'net', url: repo.fileUrl }, 'admin');
    expect(statSync(copy).ino).toBe(before);
    expect(readdirSync(path.join(dataDir, 'templates', 'net'))).toEqual([first]);
  });

  it('refuses a credential name nothing is stored under, an empty credential and a local template name', async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, credential_secret: 'github' }, 'admin'),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'no template credential named "github" is stored',
    });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, credential: '' }, 'admin'),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'credential is empty',
    });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, credential_secret: 'Bad Name' }, 'admin'),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service.add({ name: 'net', url: repo.fileUrl, ref: '-x' }, 'admin')).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'ref "-x": not a branch, tag, ref or commit name',
    });
    const local = makeConfigDir({ 'templates/net/main.tf': mainTf('local') });
    cleanups.push(local.cleanup);
    const { snapshot } = await loadConfigDirectory(local.dir, { defaultTimeZone: 'UTC' });
    config = applySnapshot(null, snapshot).next;
    await expect(newService().add({ name: 'net', url: repo.fileUrl }, 'admin')).rejects.toMatchObject({
      code: 'conflict',
      message:
        'template "net" is a local template (templates/net/ in the configuration); choose another name',
    });
    await expect(service.refresh('nope', 'admin')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a commit the repository does not have', async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    await expect(
      service.add({ name: 'net', url: repo.fileUrl, ref: 'a'.repeat(40) }, 'admin'),
    ).rejects.toMatchObject({
      code: 'git_failed',
      message: `commit ${'a'.repeat(40)} is not in ${repo.fileUrl}`,
    });
  });

  it('has the registry loop tell of changes made through another replica, and fetch their commits', async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    const otherData = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
    cleanups.push(() => rmSync(otherData, { recursive: true, force: true }));
    const replica = newService(otherData);
    let told = 0;
    const loop = templateRegistryLoop(replica, { onChange: () => told++, timers: new ManualTimers() });
    const pass = async () => {
      const stop = new AbortController();
      await loop.start(stop.signal, () => stop.abort());
    };
    await pass();
    expect(told).toBe(0);
    const added = await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    await pass();
    expect(told).toBe(1);
    expect(readdirSync(path.join(otherData, 'templates', 'net'))).toEqual([added.commit]);
    await pass();
    expect(told).toBe(1);
  });

  it('keeps prefetching the others when one template cannot be fetched, and logs which', async () => {
    repo.commit({ 'main.tf': mainTf('one') });
    await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields), info: () => undefined };
    rmSync(repo.bare, { recursive: true, force: true });
    const otherData = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
    cleanups.push(() => rmSync(otherData, { recursive: true, force: true }));
    const replica = new TemplateService({
      db: harness.db,
      keyring,
      clock,
      dataDir: otherData,
      logger: logger as unknown as Logger,
    });
    await replica.load();
    await replica.prefetch();
    expect(warnings).toEqual([{ template: 'net', err: expect.objectContaining({ code: 'git_failed' }) }]);
  });

  it('writes a pin only over the commit it read, and a name only once (two replicas at once)', async () => {
    const first = repo.commit({ 'main.tf': mainTf('one') });
    const added = await service.add({ name: 'net', url: repo.fileUrl }, 'admin');
    const row = (await findTemplateRow(harness.db, 'net'))!;
    expect(await insertTemplateRow(harness.db, { ...row, url: 'file:///elsewhere' })).toBe(false);
    const pin = {
      commit_sha: 'c'.repeat(40),
      content_hash: 'd',
      refreshed_at: row.refreshed_at,
      refreshed_by: 'x',
    };
    expect(await updateTemplatePin(harness.db, 'net', 'b'.repeat(40), pin)).toBe(false);
    expect(await service.get('net')).toMatchObject({
      commit: first,
      url: repo.fileUrl,
      content_hash: added.content_hash,
    });
    expect(await updateTemplatePin(harness.db, 'net', first, pin)).toBe(true);
  });

  it('imports a Provisioner registry entry once; the same entry again changes nothing', async () => {
    repo.commit({ 'web/main.tf': mainTf('one') });
    const entry = { name: 'web', url: repo.fileUrl, ref: 'main', subdir: '/web' };
    const commit = repo.commit({ 'web/variables.tf': '' });
    expect(await service.planImport(entry)).toEqual({ action: 'import', commit });
    expect(await service.list()).toEqual([]);
    expect((await service.importTemplate(entry, 'import:provisioner')).imported).toBe(true);
    expect((await service.importTemplate(entry, 'import:provisioner')).imported).toBe(false);
    expect(await service.planImport(entry)).toEqual({ action: 'unchanged', commit });
    await expect(service.planImport({ ...entry, ref: 'v2' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(service.planImport({ ...entry, name: 'x y' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(service.planImport({ ...entry, name: 'other', ref: 'nope' })).rejects.toMatchObject({
      code: 'git_failed',
    });
    await expect(
      service.importTemplate({ ...entry, subdir: 'other' }, 'import:provisioner'),
    ).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('templates over the network transports', () => {
  forEachDialect('git daemon and http-backend', (harness) => {
    let repo: TestRepo;
    let dataDir: string;
    let daemon: TestGitServer;
    let http: HttpGitServer;
    let service: TemplateService;

    beforeAll(async () => {
      repo = makeTestRepo('modules');
      daemon = await startGitDaemon(repo.root);
      http = await startHttpGitServer(repo.root, 'deploy:s3cret-Password');
    });
    afterAll(async () => {
      await daemon.close();
      await http.close();
      repo.cleanup();
    });
    beforeEach(() => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
      service = new TemplateService({
        db: harness.db,
        keyring,
        clock: new ManualClock('2027-03-15T06:00:00.000Z'),
        dataDir,
      });
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

    it('pins and refreshes over git://', async () => {
      const first = repo.commit({ 'main.tf': mainTf('d1') });
      expect((await service.add({ name: 'net', url: daemon.url('modules.git') }, 'admin')).commit).toBe(
        first,
      );
      const second = repo.commit({ 'main.tf': mainTf('d2') });
      expect((await service.refresh('net', 'admin')).template.commit).toBe(second);
    });

    it('reaches a private repository over HTTP with the credential from the secret store, never showing it', async () => {
      const first = repo.commit({ 'main.tf': mainTf('h1') });
      const url = http.url('modules.git');
      const refused = service.add({ name: 'net', url }, 'admin');
      await expect(refused).rejects.toMatchObject({ code: 'git_failed' });
      const wrong = service.add({ name: 'net', url, credential: 'deploy:wrong-Password' }, 'admin');
      await expect(wrong).rejects.toMatchObject({ code: 'git_failed' });
      await wrong.catch((error: Error) => {
        expect(error.message).not.toContain('wrong-Password');
        expect(JSON.stringify(error)).not.toContain('wrong-Password');
      });

      const added = await service.add({ name: 'net', url, credential: 'deploy:s3cret-Password' }, 'admin');
      expect(added).toMatchObject({ commit: first, credential_secret: 'net' });
      expect(JSON.stringify(added)).not.toContain('s3cret');
      const stored = await harness.db.selectFrom('workspace_secrets').selectAll().execute();
      expect(stored.map((row) => [row.workspace, row.name])).toEqual([['_templates', 'net']]);
      expect(JSON.stringify(stored)).not.toContain('s3cret');
      expect(http.authorizations.at(-1)).toBe(
        `Basic ${Buffer.from('deploy:s3cret-Password').toString('base64')}`,
      );

      // A second template shares the stored credential by name; a refresh reads it from the store.
      const second = repo.commit({ 'main.tf': mainTf('h2') });
      await service.add({ name: 'net2', url, credential_secret: 'net' }, 'admin');
      expect((await service.refresh('net', 'admin')).template.commit).toBe(second);
      // Another replica, with nothing cached, fetches with the stored credential too.
      rmSync(path.join(dataDir, 'templates'), { recursive: true, force: true });
      expect((await service.resolve('net'))?.files).toEqual(['main.tf']);

      await service.remove('net', 'admin');
      expect(await harness.db.selectFrom('workspace_secrets').select('name').execute()).toHaveLength(1);
      await service.remove('net2', 'admin');
      expect(await harness.db.selectFrom('workspace_secrets').select('name').execute()).toHaveLength(0);
    });
  });
});
