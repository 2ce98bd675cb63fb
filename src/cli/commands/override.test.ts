import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiFixture,
  FIXTURE_NOW,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { openDatabase, type Store } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';

let configDir: ReturnType<typeof makeConfigDir>;
let dataDir: string;
let configHome: string;
let store: Store;
let fixture: ApiFixture;
let env: Record<string, string>;

beforeAll(async () => {
  configDir = makeConfigDir({
    ...workspaceFiles('web', { enabled: true, timezone: 'Europe/Paris', destroy_schedule: '0 19 * * *' }),
    ...workspaceFiles('api', { enabled: true }),
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'tide-override-cli-'));
  configHome = await mkdtemp(path.join(tmpdir(), 'tide-override-cli-config-'));
  store = await openDatabase({ dataDir });
  await migrateToLatest(store);
  fixture = apiFixture(store.db, await loadEffectiveConfig(configDir.dir));
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  env = { TIDE_URL: url, TIDE_TOKEN: await fixture.adminToken(), XDG_CONFIG_HOME: configHome };
});

afterAll(async () => {
  await fixture.app.close();
  await store.close();
  configDir.cleanup();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

const tide = (...args: string[]) => runTideInProcess(args, { env });
const later = (hours: number) => new Date(Date.parse(FIXTURE_NOW) + hours * 3_600_000).toISOString();

describe('tide override (a client of a live API)', () => {
  it('adds, lists (one workspace and all) and removes overrides', async () => {
    const up = await tide('override', 'add', 'web', '--keep-up', '--for', '3h', '--reason', 'demo', '--json');
    expect(up.status, up.stderr).toBe(0);
    const kept = JSON.parse(up.stdout);
    expect(kept).toMatchObject({ kind: 'keep_up_until', ends_at: later(3), reason: 'demo' });
    const skip = await tide('override', 'add', 'api', '--skip-next', 'destroy', '--until', later(5));
    expect(skip.status, skip.stderr).toBe(0);
    expect(skip.stdout).toMatch(new RegExp(`^override \\S+: skip_next destroy on api until ${later(5)}`));

    const one = await tide('override', 'list', 'web', '--json');
    expect(JSON.parse(one.stdout).map((o: { id: string }) => o.id)).toEqual([kept.id]);
    const all = await tide('override', 'list');
    expect(all.stdout.split('\n')[0]).toMatch(/^WORKSPACE\s+ID\s+KIND\s+UNTIL\s+BY\s+REASON$/);
    expect(all.stdout).toContain('skip_next destroy');
    expect(all.stdout).toContain('keep_up_until');

    const removed = await tide('override', 'remove', 'web', kept.id);
    expect(removed.status).toBe(0);
    expect(removed.stdout.trim()).toBe(`override ${kept.id} removed`);
    expect(JSON.parse((await tide('override', 'list', 'web', '--json')).stdout)).toEqual([]);
  });

  it('refuses two kinds, a missing end and an unreadable time before calling the API to add', async () => {
    const two = await tide('override', 'add', 'web', '--keep-up', '--pause', '--for', '1h');
    expect(two.status).not.toBe(0);
    expect(two.stderr).toContain('exactly one of');
    const noEnd = await tide('override', 'add', 'web', '--keep-down');
    expect(noEnd.stderr).toContain('--until <time> or --for <duration>');
    const bad = await tide('override', 'add', 'web', '--pause', '--until', 'tonight');
    expect(bad.stderr).toContain('--until: cannot read "tonight"');
  });

  it('passes the server refusal on, naming the field', async () => {
    const far = await tide('override', 'add', 'web', '--keep-up', '--for', '60d');
    expect(far.status).not.toBe(0);
    expect(far.stderr).toContain('body.for');
  });
});
