/**
 * The real `tide` executable (bin/tide.js running the compiled dist/), for what only a process shows:
 * how it ends when its reader goes away, what it loads, and its refusal of a stale build. Everything
 * else about commands is tested in-process (test/helpers/run-cli.ts). No test here has a time limit of
 * its own: each waits for the process to exit.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../test/helpers/api-server.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/tide.js');

interface Exited {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Spawn {
  env?: Readonly<Record<string, string>>;
  nodeOptions?: string[];
  /** Like `| head -c N`: keep the first N bytes of stdout, then close the pipe. */
  head?: number;
  /** Close the stderr pipe before anything is written to stdin: every later write to it fails. */
  closeStderr?: boolean;
  input?: string;
}

function runTide(args: string[], options: Spawn = {}, executable = bin): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeOptions ?? []), executable, ...args], {
      env: { ...process.env, TIDE_CONFIG_DIR: '', TIDE_TIMEZONE: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (options.head !== undefined && stdout.length >= options.head) {
        stdout = stdout.slice(0, options.head);
        child.stdout.destroy();
      }
    });
    if (options.closeStderr) child.stderr.destroy();
    else child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-exe-'));
  scratch.push(dir);
  return dir;
}

describe('the tide executable', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(() => server.close());

  it('stops quietly, exit 0, when the reader of its output goes away (tide run logs | head -c 10)', async () => {
    const run = await server.fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    // Far more than a pipe holds, so `tide` is still writing when the reader has gone.
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`);
    await appendLogChunk(server.fixture.db, run.id, {
      stream: 'stdout',
      content: lines.join('\n'),
      created_at: server.fixture.clock.now(),
    });

    const result = await runTide(['run', 'logs', run.id], { env: server.env, head: 10 });
    expect(result.stdout).toBe('line 0 xxx');
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });

  it('keeps the exit code of a failed command when its stderr is already closed', async () => {
    const result = await runTide(
      ['login', '--url', 'http://127.0.0.1:9', '--username', 'alice', '--password-stdin'],
      { closeStderr: true, input: 'a password' },
    );
    expect(result.signal).toBeNull();
    expect(result.status).toBe(5);
  });

  it('answers --version and workspace list without loading TypeScript, the server, the database drivers or argon2', async () => {
    const loadedBy = async (args: string[]): Promise<string[]> => {
      const file = path.join(scratchDir(), 'imports.txt');
      writeFileSync(file, '');
      const result = await runTide(args, {
        env: { ...server.env, TIDE_TEST_IMPORTS: file },
        nodeOptions: ['--import', path.join(root, 'test/helpers/record-imports.mjs')],
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return readFileSync(file, 'utf8').trim().split('\n');
    };
    const heavy = /\.ts$|\/node_modules\/(tsx|esbuild|fastify|@fastify|kysely|better-sqlite3|pg|argon2)\//;

    const version = await loadedBy(['--version']);
    expect(version).toContain(pathToFileURL(path.join(root, 'dist/cli/main.js')).href);
    expect(version.filter((url) => heavy.test(url))).toEqual([]);
    expect(version.filter((url) => url.includes('/dist/cli/commands/'))).toEqual([]);

    const list = await loadedBy(['workspace', 'list']);
    expect(list).toContain(pathToFileURL(path.join(root, 'dist/cli/commands/workspace.js')).href);
    expect(list.filter((url) => heavy.test(url))).toEqual([]);
  });
});

describe('the tide executable in a checkout whose build is not current', () => {
  const BEFORE_BUILD = new Date('2027-03-15T07:00:00Z');
  const BUILT = new Date('2027-03-15T08:00:00Z');
  const AFTER_BUILD = new Date('2027-03-15T09:00:00Z');

  /** bin/ and the build script over a src/ last edited before BUILT, and (if `built`) a dist/ built then. */
  function checkout(built: boolean): string {
    const dir = scratchDir();
    cpSync(path.join(root, 'bin'), path.join(dir, 'bin'), { recursive: true });
    cpSync(path.join(root, 'scripts/build.mjs'), path.join(dir, 'scripts/build.mjs'));
    mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
    writeFileSync(path.join(dir, 'src/cli/main.ts'), '');
    for (const entry of ['src/cli/main.ts', 'src/cli', 'src'])
      utimesSync(path.join(dir, entry), BEFORE_BUILD, BEFORE_BUILD);
    if (built) {
      mkdirSync(path.join(dir, 'dist'));
      writeFileSync(path.join(dir, 'dist/.built'), '');
      utimesSync(path.join(dir, 'dist/.built'), BUILT, BUILT);
    }
    return dir;
  }
  const tideIn = (dir: string) => runTide(['--version'], {}, path.join(dir, 'bin/tide.js'));

  it('refuses a dist/ older than a source file, naming the file and the command that builds', async () => {
    const dir = checkout(true);
    utimesSync(path.join(dir, 'src/cli/main.ts'), AFTER_BUILD, AFTER_BUILD);
    const result = await tideIn(dir);
    expect(result.stderr).toBe('tide: dist/ is older than src/cli/main.ts: run `npm run build`\n');
    expect(result.status).toBe(1);
  });

  it('refuses a dist/ older than a dashboard source (web/): dist/web is part of the build', async () => {
    const dir = checkout(true);
    mkdirSync(path.join(dir, 'web/src'), { recursive: true });
    writeFileSync(path.join(dir, 'web/src/main.tsx'), '');
    for (const entry of ['web/src', 'web']) utimesSync(path.join(dir, entry), BEFORE_BUILD, BEFORE_BUILD);
    utimesSync(path.join(dir, 'web/src/main.tsx'), AFTER_BUILD, AFTER_BUILD);
    const result = await tideIn(dir);
    expect(result.stderr).toBe('tide: dist/ is older than web/src/main.tsx: run `npm run build`\n');
    expect(result.status).toBe(1);
  });

  it('refuses to run without a dist/, saying how to build one', async () => {
    const result = await tideIn(checkout(false));
    expect(result.stderr).toBe('tide: dist/ is missing: run `npm run build` (npm ci does it)\n');
    expect(result.status).toBe(1);
  });
});
