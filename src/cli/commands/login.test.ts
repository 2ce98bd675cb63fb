import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { createTestUser } from '../../../test/helpers/auth-fixture.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';

const PASSWORD = 'correct horse battery staple';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
  await createTestUser(server.fixture.db, { username: 'alice', role: 'operator', password: PASSWORD });
});
afterAll(() => server.close());

describe('tide login (a session kept for later commands)', () => {
  let home: string;
  let file: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'tide-home-'));
    file = path.join(home, 'tide', 'credentials.json');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  /** As a person without TIDE_TOKEN, with this test's own config directory. */
  const tide = (args: string[], input = '') =>
    runTideInProcess(args, { env: { TIDE_URL: server.url, XDG_CONFIG_HOME: home }, input });
  const saved = () => JSON.parse(readFileSync(file, 'utf8')).servers[server.url];

  it('logs in with --password-stdin, keeps the session in a 0600 file and uses it afterwards', async () => {
    const login = await tide(['login', '--username', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(login.stderr).toBe('');
    expect(login.stdout).toBe(`Logged in to ${server.url} as alice (operator)\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(saved()).toMatchObject({
      username: 'alice',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    });
    const list = await tide(['workspace', 'list', '--json']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(4);
  });

  it('refreshes an expired access token on its own and saves the rotated pair', async () => {
    await tide(['login', '--username', 'alice', '--password-stdin'], PASSWORD);
    const before = saved();
    writeFileSync(
      file,
      JSON.stringify({ servers: { [server.url]: { ...before, expires_at: '2000-01-01T00:00:00Z' } } }),
    );
    const list = await tide(['workspace', 'list', '--json']);
    expect(list.status).toBe(0);
    expect(saved().refresh_token).not.toBe(before.refresh_token);
    expect(Date.parse(saved().expires_at)).toBeGreaterThan(Date.now());
  });

  it('fails with exit 6 and one line for a wrong password, and says to log in when there is no session', async () => {
    const wrong = await tide(['login', '--username', 'alice', '--password-stdin'], 'not the password at all');
    expect(wrong.stderr).toBe('tide: invalid username or password\n');
    expect(wrong.status).toBe(6);
    const anonymous = await tide(['workspace', 'list']);
    expect(anonymous.stderr).toBe(
      `tide: not logged in to ${server.url}: run \`tide login --url ${server.url}\` (or set TIDE_TOKEN)\n`,
    );
    expect(anonymous.status).toBe(6);
  });

  it('logs out: the server ends the session and the saved credentials are gone', async () => {
    await tide(['login', '--username', 'alice', '--password-stdin'], PASSWORD);
    const { access_token: access } = saved();
    const logout = await tide(['logout']);
    expect(logout.stdout).toBe(`Logged out of ${server.url}\n`);
    expect(JSON.parse(readFileSync(file, 'utf8')).servers).toEqual({});
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(me.status).toBe(401);
  });
});

describe('tide user and tide token (as an admin, with TIDE_TOKEN)', () => {
  const tide = (args: string[], input = '') => runTideInProcess(args, { env: server.env, input });

  it('adds a user, refusing a weak password with exit 2, and lists users', async () => {
    const weak = await tide(['user', 'add', 'bob', '--role', 'viewer', '--password-stdin'], 'password1234');
    expect(weak.stderr).toMatch(/^tide: the password is too common/);
    expect(weak.status).toBe(2);
    const add = await tide(
      ['user', 'add', 'bob', '--role', 'viewer', '--workspaces', 'team-a-*, web', '--password-stdin'],
      PASSWORD,
    );
    expect(add.stdout).toBe('Created bob (viewer, workspaces team-a-*,web)\n');
    const list = await tide(['user', 'list']);
    expect(list.stdout).toMatch(/^USERNAME\s+ROLE\s+WORKSPACES\s+STATE\s+PASSWORD CHANGED\n/);
    expect(list.stdout).toMatch(/\nbob\s+viewer\s+team-a-\*,web\s+active\s+/);
    const passwd = await tide(['user', 'passwd', 'bob', '--password-stdin'], 'violet tugboat sings at dawn');
    expect(passwd.stdout).toBe('Password of bob changed; their sessions are ended\n');
    expect((await tide(['user', 'unlock', 'bob'])).stdout).toBe('bob is unlocked\n');
  });

  it('creates a token printing only its secret, lists it, and revokes it so it stops working', async () => {
    const create = await tide(['token', 'create', 'ci-deploy', '--role', 'operator', '--expires-in', '30d']);
    expect(create.status).toBe(0);
    const secret = create.stdout.trim();
    expect(secret).toMatch(/^tide_/);
    expect(create.stderr).toMatch(/^Created token ci-deploy \(id [0-9a-f-]{36}, operator, expires /);
    const asCi = (args: string[]) => runTideInProcess(args, { env: { ...server.env, TIDE_TOKEN: secret } });
    expect((await asCi(['workspace', 'show', 'web', '--json'])).status).toBe(0);
    const listed = JSON.parse((await tide(['token', 'list', '--json'])).stdout) as {
      id: string;
      name: string;
    }[];
    const id = listed.find((token) => token.name === 'ci-deploy')?.id;
    expect(id).toBeDefined();
    expect((await tide(['token', 'revoke', id!])).stdout).toBe(`Token ${id} revoked\n`);
    const refused = await asCi(['workspace', 'show', 'web']);
    expect(refused.stderr).toBe('tide: TIDE_TOKEN was refused: it may be revoked or expired\n');
    expect(refused.status).toBe(6);
  });
});
