import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTide } from '../../../test/helpers/run-tide.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

describe('tide validate', () => {
  it('exits 0 on the shipped examples', () => {
    const result = runTide(['validate', 'examples']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^ok: .*examples: 5 workspaces, 1 standalone jobs, 2 calendars, 1 templates/,
    );
    expect(result.status).toBe(0);
  });

  it('exits 1 and names every problem with its file and field', () => {
    const config = makeConfigDir({
      ...workspaceFiles('bad-cron', { deploy_schedule: '0 9 * * 8' }),
      ...workspaceFiles('unknown-key', { enabeld: true }),
      ...workspaceFiles('escape', { template: '../../etc' }),
      ...workspaceFiles('modes', { deploy_schedule: '0 9 * * *', mode_schedules: { busy: '0 8 * * *' } }),
      ...workspaceFiles('a', { depends_on: ['b'] }),
      ...workspaceFiles('b', { depends_on: ['a'] }),
    });
    cleanups.push(config.cleanup);
    const result = runTide(['validate', config.dir]);
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

  it('prints the result as JSON with --json', () => {
    const result = runTide(['validate', 'examples', '--json']);
    const parsed = JSON.parse(result.stdout) as { ok: boolean; workspaces: string[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.workspaces).toContain('demo-paris');
  });

  it('fails with one line and exit 3 when the directory does not exist', () => {
    const result = runTide(['validate', '/nonexistent/config']);
    expect(result.stderr.trim()).toBe('tide: config directory /nonexistent/config does not exist');
    expect(result.status).toBe(3);
  });

  it('names a bad environment variable', () => {
    const result = runTide(['validate', 'examples'], { TIDE_TIMEZONE: 'Mars/Olympus' });
    expect(result.stderr.trim()).toBe('tide: invalid environment: TIDE_TIMEZONE: unknown IANA time zone');
    expect(result.status).toBe(2);
  });

  it('exits 2 on an unknown option', () => {
    const result = runTide(['validate', '--bogus']);
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(result.status).toBe(2);
  });
});
