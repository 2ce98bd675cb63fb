import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { createLogger } from '../log/logger.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { bootstrapAdmin, INITIAL_ADMIN_FILE } from './bootstrap-admin.ts';
import { loadJwtSecret } from './jwt-secret.ts';
import { verifyPassword } from './password-hash.ts';
import { passwordProblems } from './password-policy.ts';
import { getUserByName, listUsers } from './user.repo.ts';

const logger = createLogger('silent');
let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tide-auth-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

forEachDialect('the first admin', (harness) => {
  const recorded: AuditEntryInput[] = [];
  const printed: string[] = [];
  const bootstrap = () =>
    bootstrapAdmin({
      db: harness.db,
      clock: new ManualClock('2027-03-15T06:00:00Z'),
      dataDir,
      logger,
      audit: { record: async (entry) => void recorded.push(entry) },
      print: (text) => printed.push(text),
    });

  it('is created on first start with a random password, printed once and written to a 0600 file', async () => {
    expect(await bootstrap()).toBe(true);
    const file = path.join(dataDir, INITIAL_ADMIN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(passwordProblems(password, 'admin')).toEqual([]);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain(password);
    const admin = await getUserByName(harness.db, 'admin');
    expect(admin?.role).toBe('admin');
    expect(await verifyPassword(admin!.passwordHash, password)).toBe(true);
    expect(recorded).toMatchObject([{ actor: 'tide', action: 'user.create', target: 'user:admin' }]);
  });

  it('is not created again once any user exists, and a leftover file is replaced with mode 0600', async () => {
    writeFileSync(path.join(dataDir, INITIAL_ADMIN_FILE), 'stale', { mode: 0o644 });
    const results = await Promise.all([bootstrap(), bootstrap()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await bootstrap()).toBe(false);
    expect((await listUsers(harness.db)).map((user) => user.username)).toEqual(['admin']);
    expect(statSync(path.join(dataDir, INITIAL_ADMIN_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe('the access-token signing key', () => {
  it('is generated once into <data>/jwt-secret with mode 0600, then reused', async () => {
    const first = await loadJwtSecret({ secret: undefined, dataDir, production: false, logger });
    expect(statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const again = await loadJwtSecret({ secret: undefined, dataDir, production: false, logger });
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
  });

  it('comes from TIDE_JWT_SECRET when set, which production requires and which must be 32 bytes', async () => {
    const secret = 'k'.repeat(16) + 'L'.repeat(16);
    expect(new TextDecoder().decode(await loadJwtSecret({ secret, dataDir, production: true, logger }))).toBe(
      secret,
    );
    await expect(loadJwtSecret({ secret: undefined, dataDir, production: true, logger })).rejects.toThrow(
      /TIDE_JWT_SECRET is required/,
    );
    await expect(loadJwtSecret({ secret: 'short', dataDir, production: false, logger })).rejects.toThrow(
      /at least 32/,
    );
  });
});
