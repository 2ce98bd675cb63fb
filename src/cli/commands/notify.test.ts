import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { createLogger } from '../../log/logger.ts';
import { Notifications } from '../../notification/notifications.ts';
import { startReceiver, type TestReceiver } from '../../notification/test-receiver.ts';
import { makeKeyring } from '../../secrets/encryption-key.ts';
import { GlobalSecrets } from '../../secrets/global-secrets.ts';
import { openDatabase, type Store } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import { systemClock } from '../../time/clock.ts';

let configDir: ReturnType<typeof makeConfigDir>;
let dataDir: string;
let configHome: string;
let store: Store;
let fixture: ApiFixture;
let receiver: TestReceiver;
let secrets: GlobalSecrets;
let env: Record<string, string>;

beforeAll(async () => {
  receiver = await startReceiver();
  configDir = makeConfigDir({
    ...workspaceFiles('web', { enabled: true }),
    'notifications.yaml': `targets:\n  ops:\n    type: webhook\n    url: ${receiver.url}\n    secret: hook-key\n`,
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'tide-notify-cli-'));
  configHome = await mkdtemp(path.join(tmpdir(), 'tide-notify-cli-config-'));
  store = await openDatabase({ dataDir });
  await migrateToLatest(store);
  const config = await loadEffectiveConfig(configDir.dir);
  secrets = new GlobalSecrets({ db: store.db, keyring: makeKeyring(randomBytes(32)), clock: systemClock });
  const notifications = new Notifications({
    db: store.db,
    clock: systemClock,
    logger: createLogger('silent'),
    config: () => config,
    secrets,
    allowPrivate: true,
    holder: 'cli-test',
  });
  fixture = apiFixture(store.db, config, { notifications, globalSecrets: secrets });
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  env = { TIDE_URL: url, TIDE_TOKEN: await fixture.adminToken(), XDG_CONFIG_HOME: configHome };
});

afterAll(async () => {
  await fixture.app.close();
  await store.close();
  await receiver.close();
  configDir.cleanup();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

const tide = (args: string[], input?: string) =>
  runTideInProcess(args, { env, ...(input === undefined ? {} : { input }) });

describe('tide secret and tide notify (clients of a live API)', () => {
  it('sets a secret from stdin, lists it by name only, then a test send is signed with it and logged', async () => {
    const set = await tide(['secret', 'set', 'hook-key'], 'the-hmac-key');
    expect(set.status).toBe(0);
    expect(set.stdout).toBe('secret hook-key set\n');
    const list = await tide(['secret', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['hook-key']);
    expect(list.stdout).not.toContain('the-hmac-key');

    const sent = await tide(['notify', 'test', 'ops']);
    expect(sent.status).toBe(0);
    expect(sent.stdout).toMatch(/^delivered to ops \(200, \d+ ms\)\n$/);
    expect(receiver.received[0]!.headers['x-tide-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const log = await tide(['notify', 'deliveries']);
    expect(log.stdout.split('\n')[0]).toMatch(
      /^WHEN\s+EVENT\s+WORKSPACE\s+TARGET\s+ATTEMPT\s+OUTCOME\s+STATUS\s+ERROR/,
    );
    expect(log.stdout).toMatch(/test\s+-\s+ops\s+1\s+delivered\s+200/);
  });

  it('fails a test send the receiver refuses, with a non-zero exit', async () => {
    receiver.answers = [500];
    const sent = await tide(['notify', 'test', 'ops']);
    expect(sent.status).not.toBe(0);
    expect(sent.stdout).toContain('not delivered to ops: HTTP 500: receiver says no');
  });

  it('refuses an empty secret on stdin', async () => {
    const result = await tide(['secret', 'set', 'empty'], '');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('no value on stdin');
  });
});
