import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, checkGitUrl, gitEnvironment, resolveRef, runGit, scrubUrls } from './git.ts';
import { makeTestRepo, type TestRepo } from './test-git-repos.ts';

describe('template URLs', () => {
  it.each([
    'https://github.com/org/modules.git',
    'http://127.0.0.1:8080/modules.git',
    'ssh://git@github.com/org/modules.git',
    'git://127.0.0.1/modules.git',
    'file:///srv/git/modules.git',
    'git@github.com:org/modules.git',
    'https://token-user@example.com/x.git',
  ])('accepts %s', (url) => {
    expect(() => checkGitUrl(url)).not.toThrow();
  });

  it.each([
    ['', 'must be a URL without spaces'],
    [' https://x/y', 'must be a URL without spaces'],
    ['-uhttps://x', 'must not start with "-"'],
    ['ext::sh -c touch% /tmp/pwned', 'must be a URL without spaces'],
    ['ext::sh', 'must be a URL (https, http, ssh, git, file) or user@host:path'],
    ['ftp://example.com/x.git', 'protocol "ftp" is not allowed'],
    ['https://[not-a-host/x.git', 'is not a valid URL'],
    ['https://user:hunter2@example.com/x.git', 'has a password in it'],
  ])('refuses %j: %s', (url, why) => {
    let message = '';
    try {
      checkGitUrl(url);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(why);
    expect(message).not.toContain('hunter2');
  });

  it('scrubs the user information of every URL in a message', () => {
    expect(scrubUrls("fatal: unable to access 'https://bob:pw@h/x.git/': 401; see http://t@o/")).toBe(
      "fatal: unable to access 'https://***@h/x.git/': 401; see http://***@o/",
    );
  });
});

describe('credentials for git', () => {
  it('sends a token as the password of x-access-token and user:password as given', () => {
    expect(authorizationHeader('abc')).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:abc').toString('base64')}`,
    );
    expect(authorizationHeader('bob:pw')).toBe(
      `Authorization: Basic ${Buffer.from('bob:pw').toString('base64')}`,
    );
  });

  it("passes the header for the template's URL only through the environment, and none of Tide's own", () => {
    process.env.TIDE_TEST_SHOULD_NOT_LEAK = 'x';
    try {
      const env = gitEnvironment({ url: 'https://h/x.git', credential: 'tok' }, '/tmp/home');
      expect(env).toMatchObject({
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.https://h/x.git.extraHeader',
        GIT_CONFIG_VALUE_0: authorizationHeader('tok'),
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_GLOBAL: '/dev/null',
        HOME: '/tmp/home',
      });
      expect(env.TIDE_TEST_SHOULD_NOT_LEAK).toBeUndefined();
      expect(gitEnvironment({ url: 'https://h/x.git' }, '/tmp/home').GIT_CONFIG_COUNT).toBeUndefined();
    } finally {
      delete process.env.TIDE_TEST_SHOULD_NOT_LEAK;
    }
  });
});

describe('running git', () => {
  let repo: TestRepo;
  let home: string;
  beforeAll(() => {
    repo = makeTestRepo();
    home = mkdtempSync(path.join(tmpdir(), 'tide-git-home-'));
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('resolves a branch, a full ref and HEAD to the commit they name', async () => {
    const commit = repo.commit({ 'main.tf': '' });
    const remote = { url: repo.fileUrl };
    expect(await resolveRef(remote, 'main', home)).toBe(commit);
    expect(await resolveRef(remote, 'refs/heads/main', home)).toBe(commit);
    expect(await resolveRef(remote, 'HEAD', home)).toBe(commit);
  });

  it('names a missing git executable', async () => {
    await expect(
      runGit(
        ['version'],
        { remote: { url: 'x' }, home, what: 'git version failed' },
        { gitBin: '/nonexistent/git' },
      ),
    ).rejects.toMatchObject({
      code: 'git_failed',
      message: 'git version failed: the git executable (/nonexistent/git) was not found',
    });
  });
});
