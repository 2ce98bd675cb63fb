/**
 * The dashboard's request types (web/src/api/schema.d.ts) are generated from the server's OpenAPI
 * document by openapi-typescript; this fails when the committed file no longer matches the routes.
 * `npm run generate` rewrites it (vitest -u on this file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log/logger.ts';
import { Notifications } from '../../src/notification/notifications.ts';
import { makeKeyring } from '../../src/secrets/encryption-key.ts';
import { GlobalSecrets } from '../../src/secrets/global-secrets.ts';
import { openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { apiFixture, fixtureConfigDir, loadEffectiveConfig } from '../helpers/api-fixture.ts';

const HEADER = `/**
 * Generated from the server's OpenAPI document (GET /api/v1/openapi.json) by openapi-typescript.
 * Do not edit: \`npm run generate\` rewrites it; test/web/api-types.test.ts fails when it is stale.
 */
`;

const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-web-types-'));
const configDir = fixtureConfigDir();
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  configDir.cleanup();
});

it('web/src/api/schema.d.ts matches the OpenAPI document of the routes', async () => {
  const store = await openDatabase({ dataDir });
  try {
    await migrateToLatest(store);
    const config = await loadEffectiveConfig(configDir.dir);
    const clock = { now: () => new Date() };
    // The notification and secret routes are registered only with their services: real ones, so the
    // document (and the dashboard's types) include them.
    const globalSecrets = new GlobalSecrets({ db: store.db, keyring: makeKeyring(randomBytes(32)), clock });
    const notifications = new Notifications({
      db: store.db,
      clock,
      logger: createLogger('silent'),
      config: () => config,
      secrets: globalSecrets,
      allowPrivate: false,
      holder: 'api-types',
    });
    const { app } = apiFixture(store.db, config, { notifications, globalSecrets });
    const document = (await app.inject({ url: '/api/v1/openapi.json' })).json();
    // The version changes with every release; the types do not depend on it.
    document.info.version = '0.0.0';
    const generated = HEADER + astToString(await openapiTS(document));
    await expect(generated).toMatchFileSnapshot('../../web/src/api/schema.d.ts');
    await app.close();
  } finally {
    await store.close();
  }
});
