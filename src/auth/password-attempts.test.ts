import { describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { createLogger } from '../log/logger.ts';
import { ManualClock } from '../time/clock.ts';
import { authSettings } from './auth-settings.ts';
import { recordLockouts, reservePasswordCheck, type PasswordAttempt } from './password-attempts.ts';

// The account locks after 2 failures; an address after 4 times as many.
const settings = authSettings({
  key: new TextEncoder().encode('a signing key of at least thirty-two bytes'),
  lockout: { threshold: 2, durationMs: 60_000 },
});
const ADDRESS_THRESHOLD = 8;

forEachDialect('password checks under the lockout', (harness) => {
  const deps = () => ({ db: harness.db, clock: new ManualClock('2027-03-15T06:00:00Z'), settings });

  async function reserve(username: string | null, sourceIp: string | null): Promise<PasswordAttempt> {
    const attempt = await reservePasswordCheck(deps(), username, sourceIp);
    if (!attempt) throw new Error(`no check was reserved for ${username} from ${sourceIp}`);
    return attempt;
  }

  async function failTimes(times: number, username: string | null, sourceIp: string | null) {
    const locked: string[][] = [];
    for (let i = 0; i < times; i++) locked.push(await (await reserve(username, sourceIp)).failed());
    return locked;
  }

  it('locks the account on its threshold-th failure, from whichever address, and says so once', async () => {
    expect(await failTimes(2, 'alice', '10.0.0.1')).toEqual([[], ['user:alice']]);
    expect(await reservePasswordCheck(deps(), 'alice', '10.0.0.2')).toBeNull();
    expect(await reservePasswordCheck(deps(), 'bob', '10.0.0.1')).not.toBeNull();
  });

  it('locks an address on its own, higher threshold, for every account', async () => {
    const locked = await failTimes(ADDRESS_THRESHOLD, null, '10.0.0.1');
    expect(locked.at(-1)).toEqual(['ip:10.0.0.1']);
    expect(locked.slice(0, -1).flat()).toEqual([]);
    expect(await reservePasswordCheck(deps(), 'bob', '10.0.0.1')).toBeNull();
    expect(await reservePasswordCheck(deps(), 'bob', '10.0.0.2')).not.toBeNull();
  });

  it('reports both keys when one failure locks the address and the account', async () => {
    await failTimes(ADDRESS_THRESHOLD - 2, null, '10.0.0.1');
    expect(await failTimes(2, 'alice', '10.0.0.1')).toEqual([[], ['ip:10.0.0.1', 'user:alice']]);
  });

  it('counts checks from an unknown address together', async () => {
    const locked = await failTimes(ADDRESS_THRESHOLD, null, null);
    expect(locked.at(-1)).toEqual(['ip:unknown']);
    expect(await reservePasswordCheck(deps(), 'bob', null)).toBeNull();
  });

  it('counts a made-up name against its address only, never as an account', async () => {
    await failTimes(2, null, '10.0.0.1');
    const keys = await harness.db.selectFrom('login_failures').select('key').execute();
    expect(keys).toEqual([{ key: 'ip:10.0.0.1' }]);
  });

  it('refuses a check beyond the threshold while the others are still being verified', async () => {
    const inFlight = [await reserve('alice', '10.0.0.1'), await reserve('alice', '10.0.0.1')];
    expect(await reservePasswordCheck(deps(), 'alice', '10.0.0.1')).toBeNull();
    await inFlight[0]!.succeeded();
    expect(await reservePasswordCheck(deps(), 'alice', '10.0.0.1')).not.toBeNull();
  });

  it("starts the account's failures over after its right password", async () => {
    await failTimes(1, 'alice', '10.0.0.1');
    await (await reserve('alice', '10.0.0.1')).succeeded();
    expect(await failTimes(1, 'alice', '10.0.0.1')).toEqual([[]]);
    expect(await reservePasswordCheck(deps(), 'alice', '10.0.0.1')).not.toBeNull();
  });

  it("keeps the address's failures after one account's right password", async () => {
    await failTimes(ADDRESS_THRESHOLD - 1, null, '10.0.0.1');
    await (await reserve('alice', '10.0.0.1')).succeeded();
    expect(await failTimes(1, null, '10.0.0.1')).toEqual([['ip:10.0.0.1']]);
  });

  it('gives the address its slot back when a check without an account is settled as a success', async () => {
    const inFlight: PasswordAttempt[] = [];
    for (let i = 0; i < ADDRESS_THRESHOLD; i++) inFlight.push(await reserve(null, '10.0.0.1'));
    expect(await reservePasswordCheck(deps(), null, '10.0.0.1')).toBeNull();
    await inFlight[0]!.succeeded();
    expect(await reservePasswordCheck(deps(), null, '10.0.0.1')).not.toBeNull();
  });
});

describe('recording lockouts', () => {
  function recordingDeps(withMetrics: boolean) {
    const entries: AuditEntryInput[] = [];
    const logLines: Record<string, unknown>[] = [];
    const lockouts = { count: 0 };
    const deps: Parameters<typeof recordLockouts>[0] = {
      settings,
      audit: { record: async (entry) => void entries.push(entry) },
      logger: createLogger('info', {
        write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
      }),
      metrics: withMetrics
        ? { loginFailuresTotal: { inc: () => undefined }, lockoutsTotal: { inc: () => lockouts.count++ } }
        : undefined,
    };
    return { deps, entries, logLines, lockouts };
  }

  const context = { sourceIp: '10.0.0.1', requestId: 'req-1' };

  it('audits each lock as denied, with the threshold that key was counted under', async () => {
    const { deps, entries } = recordingDeps(true);
    await recordLockouts(deps, context, ['ip:10.0.0.1', 'user:alice']);
    const entry = (target: string, threshold: number) => ({
      actor: 'anonymous',
      action: 'auth.lockout',
      target,
      result: 'denied',
      sourceIp: '10.0.0.1',
      requestId: 'req-1',
      details: { threshold },
    });
    expect(entries).toEqual([entry('ip:10.0.0.1', ADDRESS_THRESHOLD), entry('user:alice', 2)]);
  });

  it('logs a warning and counts each lock', async () => {
    const { deps, logLines, lockouts } = recordingDeps(true);
    await recordLockouts(deps, context, ['ip:10.0.0.1', 'user:alice']);
    expect(lockouts.count).toBe(2);
    expect(logLines.map(({ level, key, msg }) => ({ level, key, msg }))).toEqual(
      ['ip:10.0.0.1', 'user:alice'].map((key) => ({
        level: 40,
        key,
        msg: 'login locked out after repeated failures',
      })),
    );
  });

  it('records nothing when no key was locked, and works without metrics', async () => {
    const { deps, entries, logLines } = recordingDeps(false);
    await recordLockouts(deps, context, []);
    expect([entries, logLines]).toEqual([[], []]);
    await recordLockouts(deps, context, ['user:alice']);
    expect(entries).toHaveLength(1);
  });
});
