import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { createLogger } from '../log/logger.ts';
import { ManualClock } from '../time/clock.ts';
import { Notifications } from './notifications.ts';

forEachDialect('config_error notifications', (harness) => {
  let configDir: ReturnType<typeof makeConfigDir>;
  let config: EffectiveConfig;
  beforeAll(async () => {
    configDir = makeConfigDir({
      ...workspaceFiles('web', { enabled: true, deploy_schedule: 'every day' }),
      'notifications.yaml':
        'targets:\n  ops: {type: webhook, url: "https://ops.example.com"}\nrules:\n  - {on: [config_error], targets: [ops]}\n',
    });
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  it('enqueues one config_error per distinct problem of a rejected unit, however many reloads report it', async () => {
    const notifications = new Notifications({
      db: harness.db,
      clock: new ManualClock('2027-01-01T00:00:00Z'),
      logger: createLogger('silent'),
      config: () => config,
      secrets: { resolve: () => Promise.reject(new Error('unused')) },
      allowPrivate: false,
      holder: 'test',
    });
    const rejected = [{ kind: 'workspace' as const, name: 'web', change: 'rejected' as const }];
    await notifications.configRejected(rejected, config);
    await notifications.configRejected(rejected, config);
    await notifications.configRejected([{ kind: 'workspace', name: 'web', change: 'updated' }], config);
    const rows = await harness.db.selectFrom('notification_outbox').selectAll().execute();
    expect(rows).toHaveLength(1);
    const event = JSON.parse(rows[0]!.payload) as {
      type: string;
      workspace: string;
      file: string;
      problems: string[];
    };
    expect(event).toMatchObject({
      type: 'config_error',
      workspace: 'web',
      file: 'workspaces/web/config.json',
    });
    expect(event.problems[0]).toMatch(/^workspaces\/web\/config\.json: deploy_schedule/);
  });
});
