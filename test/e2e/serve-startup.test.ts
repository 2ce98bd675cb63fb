import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { allRoles, startDaemon } from '../../src/daemon/daemon.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ManualClock } from '../../src/time/clock.ts';
import { daemonHarness } from '../helpers/daemon-harness.ts';
import { ManualTimers } from '../helpers/scheduler-harness.ts';
import { runTide } from '../helpers/run-tide.ts';
import { freePort, TIDE_BIN } from '../helpers/serve-process.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-serve-'));
  dirs.push(dir);
  return dir;
}

describe('tide serve that cannot start (real processes)', () => {
  it('exits non-zero with one line when its port is busy or its data directory is in use', async () => {
    // The first server, in this process: it holds its port and its SQLite data directory.
    const first = await daemonHarness({}, '2027-06-01T06:59:00Z');
    try {
      const port = new URL(first.daemon.url!).port;
      // Blocking is fine: the first server need not answer, the kernel and SQLite refuse for it.
      const serve = (dataDir: string, servePort: string) =>
        runTide(['serve', '--config-dir', first.configDir, '--data-dir', dataDir, '--host', '127.0.0.1'], {
          TIDE_PORT: servePort,
          TIDE_LOG_LEVEL: 'warn',
        });

      const busy = serve(scratchDir(), port);
      expect(busy.status).toBe(4);
      expect(busy.stderr).toBe(
        `tide: cannot listen on 127.0.0.1:${port}: the port is already in use (another tide serve?); stop that process or pass another --port (TIDE_PORT)\n`,
      );

      const shared = serve(first.dataDir, String(await freePort()));
      expect(shared.status).toBe(4);
      expect(shared.stderr).toMatch(
        new RegExp(
          `^tide: data directory ${first.dataDir} is in use by another tide serve \\(pid ${process.pid} on .*\\)[^\\n]*\\n$`,
        ),
      );
    } finally {
      await first.cleanup();
    }
  });

  it('leaves no stale lock on its data directory when it is killed with SIGKILL', async () => {
    const dataDir = scratchDir();
    const configDir = scratchDir();
    const child = spawn(
      process.execPath,
      [TIDE_BIN, 'serve', '--config-dir', configDir, '--data-dir', dataDir],
      {
        env: {
          ...process.env,
          TIDE_PORT: String(await freePort()),
          TIDE_HOST: '127.0.0.1',
          TIDE_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = once(child, 'exit');
    // Its log says when it is up: the lock is held from before that line.
    let started = false;
    for await (const line of createInterface({ input: child.stdout! })) {
      started = line.includes('"msg":"tide started"');
      if (started) break;
    }
    expect(started).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const daemon = await startDaemon({
      configDir,
      dataDir,
      host: '127.0.0.1',
      port: 0,
      timezone: 'UTC',
      maxConcurrentRuns: 1,
      roles: new Set(allRoles),
      clock: new ManualClock('2027-06-01T06:59:00Z'),
      logger: createLogger('silent'),
      schedulerTimers: new ManualTimers(),
      print: () => undefined,
    });
    expect(daemon.url).not.toBeNull();
    await daemon.close(1000);
  });
});
