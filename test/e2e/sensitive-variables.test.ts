/**
 * A sensitive variable end to end, with the real engine: set through the API, stored encrypted, handed
 * to the engine as TF_VAR_*, and nowhere else — not in a log line (the code below prints it on purpose),
 * not in an API response (an output below returns it on purpose), not in the server's own log, and not
 * in the SQLite file in plaintext.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

/**
 * `api_token` is deliberately not `sensitive = true` in the code: the engine then prints it freely (the
 * echo, the plan, the output), so only Tide's masking stands between it and the log and the API.
 */
function probeTf(dir: string): string {
  return `
variable "workspace" { type = string }
variable "mode" {
  type    = string
  default = "default"
}
variable "api_token" { type = string }
resource "terraform_data" "probe" {
  input = "probe"
  provisioner "local-exec" {
    command     = "printf '%s' \\"$TOKEN\\" | sha256sum | cut -d' ' -f1 > ${dir}/token.sha256 && echo \\"the token is $TOKEN\\""
    environment = { TOKEN = var.api_token }
  }
}
output "token_echo" { value = "token=\${var.api_token}" }
`;
}

/** Everything the server logs, as text. */
function capturingLogger(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, stream) };
}

describe('sensitive variables with the real engine', () => {
  it('reach the engine, yet no log line, API response, server log or database byte holds them', async () => {
    const secret = `tok-${randomUUID()}`;
    const serverLog = capturingLogger();
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z', { logger: serverLog.logger });
    harnesses.push(h);
    h.write('workspaces/web/main.tf', probeTf(h.sideEffects));
    h.write('workspaces/web/config.json', { enabled: true, sensitive_variables: ['api_token'] });
    await h.restart();

    const responses: string[] = [];
    const call = async (method: string, url: string, body?: unknown) => {
      const response = await h.api(method, url, body);
      responses.push(JSON.stringify(response.body));
      return response;
    };

    const set = await call('PUT', '/api/v1/workspaces/web/variables', { sensitive: { api_token: secret } });
    expect(set.status).toBe(200);
    expect(set.body.sensitive).toEqual([{ name: 'api_token', set: true, updated_at: expect.any(String) }]);

    const queued = await call('POST', '/api/v1/workspaces/web/deploy', {});
    expect(queued.status).toBe(202);
    const run = await h.finished(queued.body.id);
    expect(run).toMatchObject({ state: 'succeeded', exit_code: 0 });

    // The value reached the engine: the provisioner saw it.
    const digest = createHash('sha256').update(secret).digest('hex');
    expect(readFileSync(path.join(h.sideEffects, 'token.sha256'), 'utf8').trim()).toBe(digest);

    // The log shows the line, masked (one page holds the whole log of this short run).
    const pages = await call('GET', `/api/v1/runs/${run.id}/logs?limit=500`);
    expect(pages.body.next_cursor).toBeNull();
    const log = pages.body.items.map((chunk: { content: string }) => chunk.content).join('\n');
    expect(log).toContain('the token is ***');

    const shown = await call('GET', `/api/v1/runs/${run.id}`);
    expect(shown.body.outputs).toEqual({ token_echo: 'token=***' });
    for (const url of [
      '/api/v1/workspaces/web/variables',
      '/api/v1/workspaces/web',
      '/api/v1/runs',
      '/api/v1/openapi.json',
    ]) {
      expect((await call('GET', url)).status, url).toBe(200);
    }

    for (const text of [log, ...responses, serverLog.lines.join('')]) expect(text).not.toContain(secret);

    await h.daemon.close(2000);
    const files = ['tide.db', 'tide.db-wal', 'tide.db-shm']
      .map((file) => path.join(h.dataDir, file))
      .filter(existsSync);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(secret)), file).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'utf16le')), file).toBe(false);
    }
    // Restart for cleanup(), which closes the daemon again.
    await h.restart();
  }, 120_000);
});
