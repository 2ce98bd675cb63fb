/**
 * The system `git`, run as a child process without a shell: resolving a ref to a commit (`ls-remote`) and
 * checking out one commit's subdirectory. Nothing here uses the user's or the system's git configuration.
 *
 * A credential never appears in argv, in a file or in a message: it reaches git as an `http.<url>.extraHeader`
 * through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` in the child's environment (only for
 * that URL, so a redirect to another host does not get it), and every message git prints is scrubbed of
 * URL user information and of the credential before it is shown.
 */
import { execFile } from 'node:child_process';
import { TideError } from '../errors/tide-error.ts';

/** Where a template's repository is, and how to authenticate to it. */
export interface GitRemote {
  readonly url: string;
  /** `token` or `user:password`, for HTTP(S) remotes; never logged. */
  readonly credential?: string | undefined;
}

export interface GitOptions {
  /** The git executable (default `git` on PATH). */
  readonly gitBin?: string;
  /** Per git command; default 5 minutes. A hung remote fails with git_failed instead of hanging. */
  readonly timeoutMs?: number;
}

/** Protocols a template URL may use; `ext::` and other transports that run commands are refused. */
export const allowedProtocols = ['https', 'http', 'ssh', 'git', 'file'] as const;

const commitPattern = /^[0-9a-f]{40}$/;

export function isCommit(ref: string): boolean {
  return commitPattern.test(ref);
}

/**
 * Checks a template URL: one of the allowed protocols (or scp-like `user@host:path` for ssh), and no
 * password in it — that belongs in the secret store, where it is sealed and never shown.
 */
export function checkGitUrl(url: string): void {
  const fail = (why: string) =>
    new TideError('invalid_argument', `url "${scrubUrls(url)}": ${why}`, { details: { field: 'url' } });
  if (url.trim() !== url || url === '' || /[\s\0]/.test(url)) throw fail('must be a URL without spaces');
  if (url.startsWith('-')) throw fail('must not start with "-"');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(url)) return; // scp-like ssh: git@github.com:org/repo.git
    throw fail(`must be a URL (${allowedProtocols.join(', ')}) or user@host:path`);
  }
  if (!(allowedProtocols as readonly string[]).includes(scheme))
    throw fail(`protocol "${scheme}" is not allowed (${allowedProtocols.join(', ')})`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail('is not a valid URL');
  }
  if (parsed.password !== '')
    throw fail('has a password in it; store the credential in Tide instead (credential in the request)');
}

/** Replaces the user information of every URL in `text` (`https://user:secret@host` → `https://***@host`). */
export function scrubUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/** The Authorization header git sends: Basic, a token alone being the password of `x-access-token`. */
export function authorizationHeader(credential: string): string {
  const pair = credential.includes(':') ? credential : `x-access-token:${credential}`;
  return `Authorization: Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/**
 * The child's whole environment: PATH and a few neutral settings, no variable of Tide's own process (its
 * keys and tokens stay there), no global or system git configuration, no terminal prompt.
 */
export function gitEnvironment(remote: GitRemote, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: allowedProtocols.join(':'),
  };
  // ssh remotes authenticate with the host's ssh agent or keys, like the engine's module sources do.
  if (process.env.SSH_AUTH_SOCK) env.SSH_AUTH_SOCK = process.env.SSH_AUTH_SOCK;
  if (remote.credential) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${remote.url}.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = authorizationHeader(remote.credential);
  }
  return env;
}

/** Runs git; a failure is git_failed naming `what` and git's own last words, scrubbed. */
export function runGit(
  args: readonly string[],
  context: { remote: GitRemote; home: string; what: string; cwd?: string },
  options: GitOptions = {},
): Promise<string> {
  const { remote, home, what } = context;
  return new Promise((resolve, reject) => {
    execFile(
      options.gitBin ?? 'git',
      [...args],
      {
        cwd: context.cwd ?? home,
        env: gitEnvironment(remote, home),
        timeout: options.timeoutMs ?? 5 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const timedOut = error.killed === true && error.signal === 'SIGTERM';
        const said = scrubSecret(stderr, remote.credential)
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '' && !line.startsWith('hint:'))
          .slice(-3)
          .join('; ');
        const code = (error as NodeJS.ErrnoException).code;
        const why = timedOut
          ? 'timed out'
          : code === 'ENOENT'
            ? `the git executable (${options.gitBin ?? 'git'}) was not found`
            : said || `exit code ${String(error.code)}`;
        reject(
          new TideError('git_failed', `${what}: ${why}`, {
            details: { url: scrubUrls(remote.url) },
          }),
        );
      },
    );
  });
}

function scrubSecret(text: string, credential: string | undefined): string {
  let scrubbed = scrubUrls(text);
  if (credential) {
    for (const secret of [credential, authorizationHeader(credential).slice('Authorization: Basic '.length)])
      scrubbed = scrubbed.split(secret).join('***');
  }
  return scrubbed;
}

/**
 * The commit `ref` names at the remote: a branch, a tag (annotated tags peeled to their commit), a full
 * ref such as `refs/heads/main`, `HEAD`, or a commit (40 hex digits, checked when it is fetched).
 */
export async function resolveRef(
  remote: GitRemote,
  ref: string,
  home: string,
  options: GitOptions = {},
): Promise<string> {
  if (isCommit(ref)) return ref;
  const where = scrubUrls(remote.url);
  const out = await runGit(
    ['ls-remote', '--', remote.url],
    { remote, home, what: `git ls-remote ${where} failed` },
    options,
  );
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name, sha);
  }
  const candidates =
    ref === 'HEAD' || ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const candidate of candidates) {
    const sha = refs.get(`${candidate}^{}`) ?? refs.get(candidate);
    if (sha) return sha;
  }
  throw new TideError(
    'git_failed',
    `ref "${ref}" does not exist in ${where} (no branch or tag of that name)`,
    {
      details: { url: where, ref },
    },
  );
}

/**
 * Writes the files of `subdir` at `commit` into `target` (which must not exist yet; its parent must),
 * without a `.git` folder. Fetches only that commit when the server allows it (protocol v2 does), else
 * every branch and tag, then checks that the commit is among them.
 */
export async function checkoutCommit(
  remote: GitRemote,
  commit: string,
  subdir: string,
  scratch: string,
  target: string,
  options: GitOptions = {},
): Promise<void> {
  const where = scrubUrls(remote.url);
  const git = (args: string[], what: string) =>
    runGit(args, { remote, home: scratch, what, cwd: scratch }, options);
  await git(['init', '--quiet', '--bare', 'repo.git'], 'git init failed');
  const gitDir = `--git-dir=${scratch}/repo.git`;
  try {
    await git(
      [gitDir, 'fetch', '--quiet', '--depth=1', '--', remote.url, commit],
      `git fetch ${where} failed`,
    );
  } catch {
    await git(
      [
        gitDir,
        'fetch',
        '--quiet',
        '--',
        remote.url,
        '+refs/heads/*:refs/heads/*',
        '+refs/tags/*:refs/tags/*',
      ],
      `git fetch ${where} failed`,
    );
  }
  try {
    await git([gitDir, 'cat-file', '-e', `${commit}^{commit}`], 'git cat-file failed');
  } catch {
    throw new TideError('git_failed', `commit ${commit} is not in ${where}`, {
      details: { url: where, commit },
    });
  }
  const pathspec = subdir === '' ? '.' : subdir;
  if (subdir !== '') {
    const type = await git([gitDir, 'cat-file', '-t', `${commit}:${subdir}`], 'git cat-file failed').catch(
      () => '',
    );
    if (type.trim() !== 'tree')
      throw new TideError(
        'git_failed',
        `subdirectory "${subdir}" does not exist at commit ${commit.slice(0, 12)} of ${where}`,
        { details: { url: where, commit, subdir } },
      );
  }
  await git(
    [gitDir, `--work-tree=${target}`, 'checkout', '--quiet', '--force', commit, '--', pathspec],
    `git checkout of ${commit.slice(0, 12)} failed`,
  );
}
