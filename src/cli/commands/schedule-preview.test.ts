import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess as tide } from '../../../test/helpers/run-cli.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function newYorkConfig(deploy: string) {
  const config = makeConfigDir(
    workspaceFiles('ny', { enabled: true, timezone: 'America/New_York', deploy_schedule: deploy }),
  );
  cleanups.push(config.cleanup);
  return config.dir;
}

interface Preview {
  firings: { scheduled_at: string; local_time: string; action: string }[];
  timeline: { start: string; end: string; state: string }[];
}

async function preview(dir: string, from: string, days: string): Promise<Preview> {
  const result = await tide([
    'schedule',
    'preview',
    'ny',
    '--config-dir',
    dir,
    '--from',
    from,
    '--days',
    days,
    '--json',
  ]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Preview;
}

describe('tide schedule preview', () => {
  it('fires a time in the spring-forward gap at the first valid instant after it', async () => {
    const { firings } = await preview(newYorkConfig('30 2 * * *'), '2027-03-13T00:00:00Z', '3');
    expect(firings.map((f) => [f.scheduled_at, f.local_time])).toEqual([
      ['2027-03-13T07:30:00.000Z', '2027-03-13 02:30:00 EST'],
      ['2027-03-14T07:00:00.000Z', '2027-03-14 03:00:00 EDT'],
      ['2027-03-15T06:30:00.000Z', '2027-03-15 02:30:00 EDT'],
    ]);
  });

  it('fires a time in the fall-back overlap once', async () => {
    const { firings } = await preview(newYorkConfig('30 1 * * *'), '2027-11-06T12:00:00Z', '2');
    expect(firings.map((f) => f.scheduled_at)).toEqual([
      '2027-11-07T05:30:00.000Z',
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  it('shows the up/down timeline over the whole range', async () => {
    const { timeline } = await preview(newYorkConfig('30 2 * * *'), '2027-03-13T00:00:00Z', '1');
    expect(timeline[0]!.start).toBe('2027-03-13T00:00:00.000Z');
    expect(timeline.at(-1)!.end).toBe('2027-03-14T00:00:00.000Z');
    expect(timeline.map((segment) => segment.state)).toContain('up');
  });

  it('prints local and UTC times as text', async () => {
    const result = await tide([
      'schedule',
      'preview',
      'ny',
      '--config-dir',
      newYorkConfig('30 2 * * *'),
      '--from',
      '2027-03-13T00:00:00Z',
      '--days',
      '2',
    ]);
    expect(result.stdout).toContain('2027-03-14 03:00:00 EDT');
    expect(result.stdout).toContain('2027-03-14T07:00:00');
  });

  it('names an unknown workspace and a bad --days', async () => {
    const dir = newYorkConfig('30 2 * * *');
    expect((await tide(['schedule', 'preview', 'nope', '--config-dir', dir])).stderr).toMatch(
      /^tide: workspace "nope" not found/,
    );
    const bad = await tide(['schedule', 'preview', 'ny', '--config-dir', dir, '--days', 'x']);
    expect(bad.stderr.trim()).toBe('tide: --days must be a whole number from 1 to 90, got "x"');
    expect(bad.status).toBe(2);
  });

  it('refuses more days and a later start than the API would, naming the bound', async () => {
    const dir = newYorkConfig('30 2 * * *');
    const long = await tide(['schedule', 'preview', 'ny', '--config-dir', dir, '--days', '91']);
    expect(long.stderr.trim()).toBe('tide: --days must be a whole number from 1 to 90, got "91"');
    expect(long.status).toBe(2);
    const far = await tide([
      'schedule',
      'preview',
      'ny',
      '--config-dir',
      dir,
      '--from',
      '3000-01-01T00:00:00Z',
    ]);
    expect(far.stderr.trim()).toBe(
      'tide: --from: want an instant from 1970-01-01T00:00:00.000Z to 2998-12-01T00:00:00.000Z, got 3000-01-01T00:00:00.000Z',
    );
    expect(far.status).toBe(2);
  });
});

describe('tide schedule preview: where the configuration directory comes from', () => {
  /** A working directory holding ./config (workspace `local`), another directory (workspace `env`). */
  function directories() {
    const local = Object.entries(workspaceFiles('local', { enabled: true, deploy_schedule: '0 8 * * *' }));
    const work = makeConfigDir(
      Object.fromEntries(local.map(([file, content]) => [`config/${file}`, content])),
    );
    const fromEnv = makeConfigDir(workspaceFiles('env', { enabled: true, deploy_schedule: '0 8 * * *' }));
    cleanups.push(work.cleanup, fromEnv.cleanup);
    return { work: work.dir, fromEnv: fromEnv.dir };
  }
  const previewOf = (workspace: string, args: string[], env: Record<string, string>, cwd: string) =>
    tide(['schedule', 'preview', workspace, '--days', '1', '--json', ...args], { env, cwd });

  it('takes --config-dir over TIDE_CONFIG_DIR, and TIDE_CONFIG_DIR over ./config', async () => {
    const { work, fromEnv } = directories();
    const env = { TIDE_CONFIG_DIR: fromEnv };
    expect((await previewOf('local', ['--config-dir', 'config'], env, work)).status).toBe(0);
    expect((await previewOf('env', [], env, work)).status).toBe(0);
    const local = await previewOf('local', [], env, work);
    expect(local.stderr).toBe(`tide: workspace "local" not found in ${fromEnv}/workspaces\n`);
  });

  it('reads ./config of the working directory when nothing names one', async () => {
    const { work } = directories();
    const result = await previewOf('local', [], {}, work);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('says how to pass --config-dir when nothing names one and there is no ./config', async () => {
    const { fromEnv: noConfigHere } = directories();
    const result = await previewOf('env', [], {}, noConfigHere);
    expect(result.stderr).toBe(
      `tide: no configuration directory: pass --config-dir <dir> or set TIDE_CONFIG_DIR (there is no ./config in ${noConfigHere})\n`,
    );
    expect(result.status).toBe(2);
  });
});
