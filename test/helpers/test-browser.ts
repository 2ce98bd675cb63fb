/**
 * Just enough of a browser for redirect-based sign-in flows over real HTTP: a cookie jar (host and
 * path matching, Max-Age/Expires deletion; like a browser, cookies do not isolate ports) and manual
 * redirects, so a test can stop at any hop and look at it.
 */

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly host: string;
  readonly path: string;
}

export interface Hop {
  readonly url: string;
  readonly response: Response;
}

export class TestBrowser {
  #cookies: StoredCookie[] = [];

  /** One request, no redirect followed; cookies sent and stored. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#store(target, line);
    return response;
  }

  /**
   * Requests `url` and follows redirects (as GETs) until an answer that is not a redirect, or until
   * `stop` says the next URL is where the test wants to look. Returns the last hop (not yet requested
   * when `stop` said so: then `response` is the redirect that points there).
   */
  async follow(
    url: string,
    init: RequestInit = {},
    stop: (next: URL) => boolean = () => false,
  ): Promise<Hop> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      const next = new URL(location, current);
      if (stop(next)) return { url: next.href, response };
      await response.body?.cancel();
      current = next.href;
      response = await this.request(current);
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /** Submits a form as `application/x-www-form-urlencoded`, following redirects like `follow`. */
  submit(url: string, fields: Record<string, string>, stop?: (next: URL) => boolean): Promise<Hop> {
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    };
    return this.follow(url, init, stop);
  }

  cookie(name: string): string | undefined {
    return this.#cookies.find((cookie) => cookie.name === name)?.value;
  }

  cookieHeader(url: URL): string {
    return this.#cookies
      .filter((cookie) => cookie.host === url.hostname && pathMatches(url.pathname, cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  #store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    let path = defaultPath(url.pathname);
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=');
      const lower = key.toLowerCase();
      if (lower === 'path' && val.startsWith('/')) path = val;
      if (lower === 'max-age' && Number(val) <= 0) expired = true;
      if (lower === 'expires' && Date.parse(val) <= Date.now()) expired = true;
    }
    this.#cookies = this.#cookies.filter(
      (cookie) => !(cookie.name === name && cookie.host === url.hostname && cookie.path === path),
    );
    if (!expired) this.#cookies.push({ name, value, host: url.hostname, path });
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4: the request path up to its last `/`. */
function defaultPath(requestPath: string): string {
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}
