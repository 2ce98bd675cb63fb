import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess as tide } from '../../../test/helpers/run-cli.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

describe('tide validate', () => {
  it('exits 0 on the shipped examples', async () => {
    const result = await tide(['validate', 'examples']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^ok: .*examples: 5 workspaces, 1 standalone jobs, 2 calendars, 1 templates/,
    );
    expect(result.status).toBe(0);
  });

  it('exits 1 and names every problem with its file and field', async () => {
    const config = makeConfigDir({
      ...workspaceFiles('bad-cron', { deploy_schedule: '0 9 * * 8' }),
      ...workspaceFiles('unknown-key', { enabeld: true }),
      ...workspaceFiles('escape', { template: '../../etc' }),
      ...workspaceFiles('modes', { deploy_schedule: '0 9 * * *', mode_schedules: { busy: '0 8 * * *' } }),
      ...workspaceFiles('a', { depends_on: ['b'] }),
      ...workspaceFiles('b', { depends_on: ['a'] }),
    });
    cleanups.push(config.cleanup);
    const result = await tide(['validate', config.dir]);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^workspaces\/bad-cron\/config\.json: deploy_schedule: invalid cron expression "0 9 \* \* 8"/,
        ),
        'workspaces/unknown-key/config.json: enabeld: unknown key "enabeld"',
        expect.stringMatching(/^workspaces\/escape\/config\.json: template: invalid name "\.\.\/\.\.\/etc"/),
        "workspaces/modes/config.json: mode_schedules: cannot specify both 'mode_schedules' and 'deploy_schedule'",
        'workspaces/a/config.json: depends_on: circular dependency between workspaces: a → b → a',
      ]),
    );
    expect(lines.at(-1)).toMatch(/^invalid: .*: 6 errors, 0 warnings/);
  });

  it('prints the result as JSON with --json', async () => {
    const result = await tide(['validate', 'examples', '--json']);
    const parsed = JSON.parse(result.stdout) as { ok: boolean; workspaces: string[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.workspaces).toContain('demo-paris');
  });

  it('fails with one line and exit 3 when the directory does not exist', async () => {
    const result = await tide(['validate', '/nonexistent/config']);
    expect(result.stderr.trim()).toBe('tide: config directory /nonexistent/config does not exist');
    expect(result.status).toBe(3);
  });

  it('names a bad environment variable', async () => {
    const result = await tide(['validate', 'examples'], { env: { TIDE_TIMEZONE: 'Mars/Olympus' } });
    expect(result.stderr.trim()).toBe('tide: invalid environment: TIDE_TIMEZONE: unknown IANA time zone');
    expect(result.status).toBe(2);
  });

  it('exits 2 on an unknown option', async () => {
    const result = await tide(['validate', '--bogus']);
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(result.status).toBe(2);
  });
});

describe('tide validate: where the configuration directory comes from', () => {
  /** A working directory holding ./config (workspace `local`), another directory (workspace `env`). */
  function directories() {
    const local = Object.entries(workspaceFiles('local', { enabled: true }));
    const work = makeConfigDir(
      Object.fromEntries(local.map(([file, content]) => [`config/${file}`, content])),
    );
    const fromEnv = makeConfigDir(workspaceFiles('env', { enabled: true }));
    cleanups.push(work.cleanup, fromEnv.cleanup);
    return { work: work.dir, fromEnv: fromEnv.dir };
  }
  const workspacesRead = async (args: string[], env: Record<string, string>, cwd: string) => {
    const result = await tide(['validate', '--json', ...args], { env, cwd });
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { workspaces: string[] }).workspaces;
  };

  it('takes --config-dir, or the [dir] argument, over TIDE_CONFIG_DIR and ./config', async () => {
    const { work, fromEnv } = directories();
    const env = { TIDE_CONFIG_DIR: fromEnv };
    expect(await workspacesRead(['--config-dir', 'config'], env, work)).toEqual(['local']);
    expect(await workspacesRead(['config'], env, work)).toEqual(['local']);
    expect(await workspacesRead([], env, work)).toEqual(['env']);
  });

  it('reads ./config of the working directory when nothing names one', async () => {
    const { work } = directories();
    expect(await workspacesRead([], {}, work)).toEqual(['local']);
  });

  it('says how to pass --config-dir when nothing names one and there is no ./config', async () => {
    const { fromEnv: noConfigHere } = directories();
    const result = await tide(['validate'], { cwd: noConfigHere });
    expect(result.stderr).toBe(
      `tide: no configuration directory: pass --config-dir <dir> or set TIDE_CONFIG_DIR (there is no ./config in ${noConfigHere})\n`,
    );
    expect(result.status).toBe(2);
  });

  it('refuses a directory named twice', async () => {
    const result = await tide(['validate', 'examples', '--config-dir', 'examples']);
    expect(result.stderr).toBe('tide: name the directory once: [dir] or --config-dir, not both\n');
    expect(result.status).toBe(2);
  });
});
