/**
 * What `tide login` saves and every client command sends (SPEC §6). Credentials are kept per server URL
 * in `$XDG_CONFIG_HOME/tide/credentials.json` (default `~/.config/tide/`), mode 0600 in a 0700
 * directory, and sent only to the URL they came from. TIDE_TOKEN (scripts, CI) wins over the file.
 *
 * An expired access token is refreshed before the request (and once more after a 401, in case the
 * server's clock runs ahead); each refresh rotates the refresh token, so the new pair is saved at once.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';

export interface StoredCredentials {
  readonly username: string;
  readonly access_token: string;
  readonly refresh_token: string;
  /** ISO 8601: when the access token expires. */
  readonly expires_at: string;
}

type CredentialsFile = { servers: Record<string, StoredCredentials> };

/** Refresh this long before the stated expiry: the request still has to travel. */
const EXPIRY_MARGIN_MS = 30_000;

export function credentialsPath(env: Record<string, string | undefined> = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(homedir(), '.config');
  return path.join(base, 'tide', 'credentials.json');
}

/** `http://host:port` without a trailing slash: the key credentials are stored under. */
export function serverKey(url: string): string {
  return url.replace(/\/+$/, '');
}

function readAll(file: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { servers: typeof parsed.servers === 'object' && parsed.servers !== null ? parsed.servers : {} };
  } catch {
    throw new TideError(
      'invalid_argument',
      `${file} is not valid JSON; delete it and run \`tide login\` again`,
    );
  }
}

/** Written to a temporary file then renamed, so a crash never leaves half a file. */
function writeAll(file: string, content: CredentialsFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

export function readCredentials(url: string, file = credentialsPath()): StoredCredentials | null {
  return readAll(file).servers[serverKey(url)] ?? null;
}

export function saveCredentials(url: string, credentials: StoredCredentials, file = credentialsPath()): void {
  const all = readAll(file);
  all.servers[serverKey(url)] = credentials;
  writeAll(file, all);
}

export function removeCredentials(url: string, file = credentialsPath()): boolean {
  const all = readAll(file);
  if (!(serverKey(url) in all.servers)) return false;
  delete all.servers[serverKey(url)];
  writeAll(file, all);
  return true;
}

/** How the API client authenticates its requests. */
export interface ClientAuth {
  /** The Authorization header for the next request; undefined without credentials (the server says 401). */
  header(): Promise<string | undefined>;
  /** After a 401: obtain fresh credentials; true if the request is worth retrying. */
  renew(): Promise<boolean>;
  /** What to tell the user when the server still answers 401. */
  readonly hint: string;
}

/** A fixed token (TIDE_TOKEN): nothing to renew. */
export function staticTokenAuth(token: string): ClientAuth {
  return {
    header: async () => `Bearer ${token}`,
    renew: async () => false,
    hint: 'TIDE_TOKEN was refused: it may be revoked or expired',
  };
}

/** Login and refresh answers (SPEC §6). */
export interface TokenAnswer {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
}

export function toStored(username: string, answer: TokenAnswer, now: Date): StoredCredentials {
  return {
    username,
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    expires_at: new Date(now.getTime() + answer.expires_in * 1000).toISOString(),
  };
}

/**
 * The saved login for `url`. `refresh` exchanges a refresh token for a new pair (a plain request:
 * it must not itself go through this auth); null means the session is over.
 */
export function storedAuth(
  url: string,
  refresh: (refreshToken: string) => Promise<TokenAnswer | null>,
  options: { file?: string; now?: () => Date } = {},
): ClientAuth {
  const file = options.file ?? credentialsPath();
  const now = options.now ?? (() => new Date());
  let current = readCredentials(url, file);
  const renew = async (): Promise<boolean> => {
    if (!current) return false;
    const answer = await refresh(current.refresh_token);
    if (!answer) return false;
    current = toStored(current.username, answer, now());
    saveCredentials(url, current, file);
    return true;
  };
  return {
    async header() {
      if (!current) return undefined;
      // An expired token is refreshed first; if that fails the request goes without, and the 401 says why.
      if (Date.parse(current.expires_at) - EXPIRY_MARGIN_MS <= now().getTime() && !(await renew()))
        return undefined;
      return `Bearer ${current.access_token}`;
    },
    renew,
    get hint() {
      const login = `run \`tide login --url ${serverKey(url)}\``;
      return current
        ? `the session has ended: ${login} again`
        : `not logged in to ${serverKey(url)}: ${login} (or set TIDE_TOKEN)`;
    },
  };
}
