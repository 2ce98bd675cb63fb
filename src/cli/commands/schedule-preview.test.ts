import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTide } from '../../../test/helpers/run-tide.ts';

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

function preview(dir: string, from: string, days: string): Preview {
  const result = runTide([
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
  it('fires a time in the spring-forward gap at the first valid instant after it', () => {
    const { firings } = preview(newYorkConfig('30 2 * * *'), '2027-03-13T00:00:00Z', '3');
    expect(firings.map((f) => [f.scheduled_at, f.local_time])).toEqual([
      ['2027-03-13T07:30:00.000Z', '2027-03-13 02:30:00 EST'],
      ['2027-03-14T07:00:00.000Z', '2027-03-14 03:00:00 EDT'],
      ['2027-03-15T06:30:00.000Z', '2027-03-15 02:30:00 EDT'],
    ]);
  });

  it('fires a time in the fall-back overlap once', () => {
    const { firings } = preview(newYorkConfig('30 1 * * *'), '2027-11-06T12:00:00Z', '2');
    expect(firings.map((f) => f.scheduled_at)).toEqual([
      '2027-11-07T05:30:00.000Z',
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  it('shows the up/down timeline over the whole range', () => {
    const { timeline } = preview(newYorkConfig('30 2 * * *'), '2027-03-13T00:00:00Z', '1');
    expect(timeline[0]!.start).toBe('2027-03-13T00:00:00.000Z');
    expect(timeline.at(-1)!.end).toBe('2027-03-14T00:00:00.000Z');
    expect(timeline.map((segment) => segment.state)).toContain('up');
  });

  it('prints local and UTC times as text', () => {
    const result = runTide([
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

  it('names an unknown workspace and a bad --days', () => {
    const dir = newYorkConfig('30 2 * * *');
    expect(runTide(['schedule', 'preview', 'nope', '--config-dir', dir]).stderr).toMatch(
      /^tide: workspace "nope" not found/,
    );
    const bad = runTide(['schedule', 'preview', 'ny', '--config-dir', dir, '--days', 'x']);
    expect(bad.stderr.trim()).toBe('tide: --days must be a whole number from 1 to 366, got "x"');
    expect(bad.status).toBe(2);
  });
});
