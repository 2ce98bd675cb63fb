import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { silentLogger } from '../run/executor/test-fixtures.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { ManualClock } from '../time/clock.ts';
import { importLocalState } from './local-state-import.ts';
import { stateServices } from './state-services.ts';

function stateDocument(serial: number, marker: string): string {
  return JSON.stringify({ version: 4, serial, lineage: 'lin', resources: [{ marker }] });
}

forEachDialect('importing the local state files of earlier versions', (harness) => {
  const keyring = makeKeyring(randomBytes(32));
  const clock = new ManualClock('2027-03-15T06:00:00.000Z');
  let dataDir: string;
  const history = () =>
    stateServices({ db: harness.db, keyring, clock, jwtSecret: randomBytes(32), keepVersions: 0 }).history;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tide-import-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function put(key: string, files: Record<string, string>): Promise<void> {
    const dir = path.join(dataDir, 'state', ...key.split('/'));
    await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  }

  const run = () =>
    importLocalState({ db: harness.db, keyring, dataDir, now: clock.now(), logger: silentLogger });

  it("imports each workspace's and template job's state, then removes the files and their directories", async () => {
    await put('web', {
      'terraform.tfstate': stateDocument(4, 'web'),
      'terraform.tfstate.backup': stateDocument(3, 'old'),
    });
    await put('_jobs/_standalone_/snap', { 'terraform.tfstate': stateDocument(1, 'snap') });
    await put('never-applied', { 'terraform.tfstate': '', 'terraform.tfstate.backup': '' });
    expect(await run()).toEqual({ imported: ['_jobs/_standalone_/snap', 'web'], kept: [] });
    const web = await history().pull('web');
    expect(web.version).toMatchObject({ serial: 4, written_by: 'import:state/web/terraform.tfstate' });
    expect(JSON.parse(web.content.toString()).resources).toEqual([{ marker: 'web' }]);
    expect((await history().pull('_jobs/_standalone_/snap')).version.serial).toBe(1);
    expect((await history().describe('never-applied')).total).toBe(0);
    await expect(stat(path.join(dataDir, 'state'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A second start finds nothing to do.
    expect(await run()).toEqual({ imported: [], kept: [] });
  });

  it("leaves in place, and names, a file older than the database's state or not a state at all", async () => {
    await put('web', { 'terraform.tfstate': stateDocument(5, 'replica-a') });
    await run();
    await put('web', { 'terraform.tfstate': stateDocument(2, 'replica-b') });
    await put('odd', { 'terraform.tfstate': 'not json' });
    const result = await run();
    expect(result.imported).toEqual([]);
    expect(result.kept.map((file) => path.relative(dataDir, file)).sort()).toEqual([
      'state/odd/terraform.tfstate',
      'state/web/terraform.tfstate',
    ]);
    expect(JSON.parse((await history().pull('web')).content.toString()).resources).toEqual([
      { marker: 'replica-a' },
    ]);
    expect((await readdir(path.join(dataDir, 'state'))).sort()).toEqual(['odd', 'web']);
  });

  it("imports a newer file over the database's state, and the same file again only once", async () => {
    await put('web', { 'terraform.tfstate': stateDocument(1, 'first') });
    await run();
    await put('web', { 'terraform.tfstate': stateDocument(1, 'first') });
    expect(await run()).toEqual({ imported: ['web'], kept: [] });
    await put('web', { 'terraform.tfstate': stateDocument(6, 'newer') });
    await run();
    expect((await history().describe('web')).versions.map((v) => v.serial)).toEqual([6, 1]);
  });

  it('imports a state once when two replicas start at the same moment with copies of it', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'tide-import-'));
    try {
      for (const dir of [dataDir, other]) {
        await mkdir(path.join(dir, 'state', 'web'), { recursive: true });
        await writeFile(path.join(dir, 'state', 'web', 'terraform.tfstate'), stateDocument(2, 'copy'));
      }
      const importFrom = (dir: string) =>
        importLocalState({ db: harness.db, keyring, dataDir: dir, now: clock.now(), logger: silentLogger });
      await Promise.all([importFrom(dataDir), importFrom(other)]);
      expect((await history().describe('web')).total).toBe(1);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
