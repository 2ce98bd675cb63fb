import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupExists, runProcess, type OutputStream, type RunProcessOptions } from './process-group.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tide-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sh(script: string, options: Partial<RunProcessOptions> = {}) {
  const lines: [OutputStream, string][] = [];
  const result = runProcess({
    command: '/bin/sh',
    args: ['-c', script],
    cwd: dir,
    env: process.env,
    onLine: (stream, line) => lines.push([stream, line]),
    ...options,
  });
  return { lines, result };
}

/**
 * A killed grandchild is an orphan: it stays a zombie (and keeps its group alive for kill(-pgid, 0))
 * until init reaps it, which this machine's init does about once a second. Wait, bounded.
 */
async function groupGone(pgid: number, withinMs = 5000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (groupExists(pgid)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe('runProcess', () => {
  it('streams stdout and stderr line by line, joining partial lines and dropping \\r before \\n', async () => {
    const { lines, result } = sh(
      `printf 'par'; sleep 0.1; printf 'tial\\r\\nnext\\n'; echo oops >&2; printf 'no newline'`,
    );
    expect(await result).toMatchObject({ exitCode: 0, outcome: 'exited', signal: null });
    expect(lines).toEqual([
      ['stdout', 'partial'],
      ['stdout', 'next'],
      ['stderr', 'oops'],
      ['stdout', 'no newline'],
    ]);
  });

  it('reports the exit code of a failing command', async () => {
    const { result } = sh('exit 7');
    expect(await result).toMatchObject({ exitCode: 7, outcome: 'exited' });
  });

  it('collects stdout verbatim instead of logging it when asked to capture', async () => {
    const { lines, result } = sh(`printf '{"a":\\n1}'; echo visible >&2`, { captureStdout: true });
    expect((await result).stdout).toBe('{"a":\n1}');
    expect(lines).toEqual([['stderr', 'visible']]);
  });

  it('reports a command that cannot be started as spawn_failed with a clear message', async () => {
    const result = await runProcess({
      command: '/no/such/engine',
      args: [],
      cwd: dir,
      env: {},
      onLine: () => {},
    });
    expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null, pid: null });
    expect(result.error).toContain('/no/such/engine');
  });

  it('reports a file that is not executable as spawn_failed: permission denied', async () => {
    const notExecutable = path.join(dir, 'not-executable');
    await writeFile(notExecutable, '#!/bin/sh\n', { mode: 0o600 });
    const result = await runProcess({
      command: notExecutable,
      args: [],
      cwd: dir,
      env: {},
      onLine: () => {},
    });
    expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null });
    expect(result.error).toBe(`cannot run ${notExecutable}: permission denied`);
  });

  it('never starts a step canceled before it started, and keeps that reason when its time limit passes too', async () => {
    const controller = new AbortController();
    controller.abort();
    const marker = path.join(dir, 'started');
    const { result } = sh(`touch ${marker}; sleep 30`, {
      signal: controller.signal,
      timeoutMs: 1,
      graceMs: 5_000,
    });
    const outcome = await result;
    expect(outcome).toMatchObject({ outcome: 'canceled', pid: null, exitCode: null, signal: null });
    expect(existsSync(marker)).toBe(false);
  });

  it('stops a cooperative process group with SIGINT alone when canceled', async () => {
    const controller = new AbortController();
    const { lines, result } = sh(
      `trap 'echo got-int; exit 130' INT; echo ready; while :; do sleep 0.05; done`,
      {
        signal: controller.signal,
        graceMs: 10_000,
        onLine: (_stream, line) => {
          lines.push(['stdout', line]);
          if (line === 'ready') controller.abort();
        },
      },
    );
    const started = Date.now();
    const outcome = await result;
    expect(outcome).toMatchObject({ outcome: 'canceled', exitCode: 130 });
    expect(lines).toContainEqual(['stdout', 'got-int']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills a group that ignores SIGINT, grandchild included, after the grace period, leaving no process', async () => {
    const controller = new AbortController();
    const pidFile = path.join(dir, 'grandchild.pid');
    const script = `trap '' INT; sh -c 'trap "" INT; echo $$ > ${pidFile}; sleep 60' & sleep 0.2; echo ready; wait`;
    const { result } = sh(script, {
      signal: controller.signal,
      graceMs: 300,
      onLine: (_stream, line) => line === 'ready' && controller.abort(),
    });
    const outcome = await result;
    expect(outcome).toMatchObject({ outcome: 'canceled', signal: 'SIGKILL' });
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    expect(await groupGone(outcome.pid ?? 0)).toBe(true);
    expect(() => process.kill(-(outcome.pid ?? 0), 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('times out: SIGINT to the group when the time limit passes, outcome timed_out', async () => {
    const { result } = sh('sleep 30', { timeoutMs: 200, graceMs: 5_000 });
    const outcome = await result;
    expect(outcome).toMatchObject({ outcome: 'timed_out', signal: 'SIGINT' });
    expect(await groupGone(outcome.pid ?? 0)).toBe(true);
  });

  it('kills what a finished process left running in its group', async () => {
    const { result } = sh('sleep 60 >/dev/null 2>&1 & echo started');
    const outcome = await result;
    expect(outcome).toMatchObject({ outcome: 'exited', exitCode: 0 });
    expect(await groupGone(outcome.pid ?? 0)).toBe(true);
  });
});
