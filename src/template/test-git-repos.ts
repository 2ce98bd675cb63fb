/**
 * Real git repositories for template tests: a bare repository made with `git init --bare`, commits pushed
 * to it from a scratch clone, and the two network transports git has: `git daemon` (run per connection
 * in inetd mode behind a node TCP server, so the port is known at once) and `git http-backend` behind a
 * node HTTP server that may demand HTTP basic authentication.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Tide Test',
  GIT_AUTHOR_EMAIL: 'test@tide.invalid',
  GIT_COMMITTER_NAME: 'Tide Test',
  GIT_COMMITTER_EMAIL: 'test@tide.invalid',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

export interface TestRepo {
  /** Folder holding `<name>.git`: what git daemon and http-backend serve. */
  readonly root: string;
  /** Path of the bare repository. */
  readonly bare: string;
  readonly fileUrl: string;
  /** Writes the files (path → content; null deletes), commits on `branch` and pushes; returns the commit. */
  commit(files: Readonly<Record<string, string | null>>, options?: { branch?: string; tag?: string }): string;
  cleanup(): void;
}

export function makeTestRepo(name = 'modules'): TestRepo {
  const root = mkdtempSync(path.join(tmpdir(), 'tide-git-'));
  const bare = path.join(root, `${name}.git`);
  const work = path.join(root, 'work');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(root, 'init', '--quiet', '--initial-branch=main', work);
  git(work, 'remote', 'add', 'origin', bare);
  return {
    root,
    bare,
    fileUrl: `file://${bare}`,
    commit(files, options = {}) {
      const branch = options.branch ?? 'main';
      const current = git(work, 'symbolic-ref', '--short', 'HEAD');
      if (current !== branch) {
        const exists = git(work, 'branch', '--list', branch) !== '';
        git(work, 'checkout', '--quiet', ...(exists ? [branch] : ['-b', branch]));
      }
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(work, file);
        if (content === null) rmSync(target, { force: true });
        else {
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', `change ${Object.keys(files).join(', ')}`);
      if (options.tag) git(work, 'tag', '-a', options.tag, '-m', options.tag);
      git(work, 'push', '--quiet', '--tags', 'origin', branch);
      return git(work, 'rev-parse', 'HEAD');
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface TestGitServer {
  readonly url: (repo: string) => string;
  close(): Promise<void>;
}

/** `git daemon --inetd` per connection: `git://127.0.0.1:<port>/<repo>.git`. */
export async function startGitDaemon(root: string): Promise<TestGitServer> {
  const server = createTcpServer((socket) => {
    const daemon = spawn('git', ['daemon', '--inetd', '--export-all', `--base-path=${root}`, root], {
      env: gitEnv,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    socket.pipe(daemon.stdin);
    daemon.stdout.pipe(socket);
    socket.on('error', () => daemon.kill());
    daemon.stdin.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface HttpGitServer extends TestGitServer {
  /** Authorization headers of every request, in order (to check what git sent). */
  readonly authorizations: (string | undefined)[];
}

/** `git http-backend` (smart HTTP) at `http://127.0.0.1:<port>/<repo>.git`; `basicAuth` = `user:password` it demands. */
export async function startHttpGitServer(root: string, basicAuth?: string): Promise<HttpGitServer> {
  const authorizations: (string | undefined)[] = [];
  const expected = basicAuth ? `Basic ${Buffer.from(basicAuth).toString('base64')}` : undefined;
  const server = createHttpServer((request, response) => {
    authorizations.push(request.headers.authorization);
    if (expected && request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const backend = spawn('git', ['http-backend'], {
      env: { ...gitEnv, ...cgiEnvironment(root, request.method ?? 'GET', url, request.headers) },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    request.pipe(backend.stdin);
    const chunks: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    backend.on('close', () => {
      const output = Buffer.concat(chunks);
      const end = output.indexOf('\r\n\r\n');
      const head = output.subarray(0, end).toString('utf8');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[key] = value;
      }
      response.writeHead(status, headers).end(output.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    authorizations,
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function cgiEnvironment(
  root: string,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
): Record<string, string> {
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: '127.0.0.1',
    CONTENT_TYPE: headers['content-type'] ?? '',
  };
  if (headers['git-protocol']) env.GIT_PROTOCOL = String(headers['git-protocol']);
  if (headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(headers['content-encoding']);
  if (headers['content-length']) env.CONTENT_LENGTH = String(headers['content-length']);
  return env;
}
