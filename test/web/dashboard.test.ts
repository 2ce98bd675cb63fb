/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real `tide serve`
 * process with the real engine: log in, see the fleet and the week timeline, open a workspace, deploy it
 * and watch its log lines arrive live, cancel the run, log out; a viewer sees no deploy button and a
 * forged request from the page is refused; an admin adds a keep-up override, sees its period on the week
 * and removes it, while a viewer is offered no override button; an admin visits every page, runs a job,
 * and sees a new API token's secret once; axe-core finds no serious violation on any page; the page
 * breaks no rule of its Content-Security-Policy. Every wait is on a selector or a file, never a sleep.
 *
 * `npm run screenshots` runs it with TIDE_SCREENSHOTS=1, which adds the example configuration (examples/)
 * to the test's workspaces and saves the pages to docs/images/.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_BYTES, bundleSizes } from '../../scripts/web-bundle-size.ts';
import {
  browserMissing,
  launchChromium,
  newTestContext,
  seriousA11yViolations,
} from '../helpers/chromium.ts';
import { makeConfigDir, minimalTf } from '../helpers/config-dir.ts';
import { loginAsInitialAdmin, startServe, type ServedTide } from '../helpers/serve-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = process.env.TIDE_SCREENSHOTS === '1';
const VIEWER_PASSWORD = 'viewer-correct-horse-battery-7';
const missing = browserMissing();

describe.skipIf(missing !== null)(
  `the dashboard in Chromium against tide serve${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const effects = mkdtempSync(path.join(tmpdir(), 'tide-web-effects-'));
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-web-data-'));
    const go = path.join(effects, 'go');
    const config = makeConfigDir({
      'workspaces/office/config.json': {
        enabled: true,
        description: 'Up on office hours in Paris',
        timezone: 'Europe/Paris',
        deploy_schedule: '0 8 * * *',
        destroy_schedule: '0 19 * * *',
        labels: { team: 'web' },
      },
      'workspaces/office/main.tf': minimalTf,
      'jobs/hello.json': {
        name: 'hello',
        type: 'command',
        description: 'Says hello, by hand only',
        enabled: true,
        command: 'echo hello-from-job',
      },
      // Says one line, waits for the test's file, says another, then waits for good: the test sees lines
      // arrive while the run is live, then cancels it.
      'workspaces/slow/config.json': { enabled: true, description: 'Takes its time' },
      'workspaces/slow/main.tf': `
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo first-line; while [ ! -e ${go} ]; do sleep 0.1; done; echo second-line; sleep 600"
  }
}`,
    });
    // Screenshots show the example configuration (`npm start`'s) around the test's own workspaces, so
    // the fleet and its timeline in docs/images look like a real one.
    if (SCREENSHOTS) cpSync(path.join(ROOT, 'examples'), config.dir, { recursive: true, force: false });
    let serve: ServedTide | null = null;
    let url = '';
    let browser: Browser;
    const cspViolations: string[] = [];

    beforeAll(async () => {
      serve = await startServe(config.dir, dataDir);
      url = serve.url;
      const admin = await loginAsInitialAdmin(url, dataDir);
      const created = await fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' }),
      });
      expect(created.status).toBe(201);
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      config.cleanup();
      rmSync(effects, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });

    /** A page in a context of its own: a new browser session, no cookies. */
    async function newPage(): Promise<Page> {
      const context = await newTestContext(browser);
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
      });
      return page;
    }

    async function checkPage(page: Page, name: string) {
      expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
      if (SCREENSHOTS)
        await page.screenshot({ path: path.join(ROOT, 'docs/images', `dashboard-${name}.png`) });
    }

    async function logIn(page: Page, username: string, password: string) {
      await page.goto(url);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    }

    it('an operator logs in, sees the fleet and the week, deploys with live log lines, cancels, logs out', async () => {
      const page = await newPage();
      await page.goto(url);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await checkPage(page, 'login');

      const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
      await logIn(page, 'admin', password);
      const fleet = page.getByRole('list', { name: 'Workspaces' });
      await fleet.getByRole('link', { name: 'office' }).waitFor();
      await fleet.getByRole('link', { name: 'slow' }).waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      await checkPage(page, 'fleet');

      // Search narrows the list, and the URL keeps it.
      await page.getByLabel('Search').fill('paris');
      await fleet.getByRole('link', { name: 'slow' }).waitFor({ state: 'detached' });
      expect(page.url()).toContain('q=paris');
      await page.getByLabel('Search').fill('');

      // The week of a scheduled workspace: desired windows and the now line, in its zone.
      await fleet.getByRole('link', { name: 'office' }).click();
      await page.getByRole('heading', { name: 'office' }).waitFor();
      await page.locator('svg .tl-window').first().waitFor();
      // A vertical line has no width, so it is never "visible" to Playwright; being drawn is enough.
      await page.locator('svg .tl-now').waitFor({ state: 'attached' });
      await page.getByText('Times in Europe/Paris').waitFor();
      await checkPage(page, 'workspace');

      await page.getByRole('link', { name: 'Timeline' }).click();
      await page.getByRole('heading', { name: 'Week timeline' }).waitFor();
      await page.locator('.fleet-tl .tl-window').first().waitFor();
      await checkPage(page, 'timeline');

      // Deploy, confirmed by typing the workspace's name; the run's log arrives line by line.
      await page.goto(`${url}/workspaces/slow`);
      // With a TTL: the dialog says when Tide will take it down again (docs/ttl.md).
      await page.getByLabel('TTL (optional)').fill('4h');
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/destroys it 4h after the deploy succeeds/).waitFor();
      const confirm = dialog.getByRole('button', { name: 'Deploy slow' });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel('Type slow to confirm').fill('slow');
      await confirm.click();
      await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
      const log = page.getByTestId('run-log');
      // The engine echoes the command first; these are the lines the provisioner itself printed.
      const printed = (line: string) => log.getByText(new RegExp(`\\(local-exec\\): ${line}$`));
      await printed('first-line').waitFor();
      expect(await printed('second-line').count()).toBe(0);
      writeFileSync(go, '');
      await printed('second-line').waitFor();
      await page.locator('[data-state="running"]').waitFor();
      await checkPage(page, 'run');

      await page.getByRole('button', { name: 'Cancel run' }).click();
      await page.locator('[data-state="canceled"]').waitFor({ timeout: 120_000 });

      await page.getByRole('link', { name: 'Runs', exact: true }).click();
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      await page.locator('tbody [data-state="canceled"]').waitFor();
      await checkPage(page, 'runs');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      // The session is over on the server too, not only on the page.
      const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
      expect(me).toBe(401);
      await page.context().close();
    }, 300_000);

    it('an admin adds a keep up until override and sees it on the timeline, then removes it', async () => {
      const page = await newPage();
      const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
      await logIn(page, 'admin', password);
      await page.goto(`${url}/workspaces/office`);
      await page.getByRole('heading', { name: 'Overrides' }).waitFor();
      await page.getByText('No override in force').waitFor();
      expect(await page.locator('svg .tl-override').count()).toBe(0);

      await page.getByLabel('Reason (optional)').fill('client demo');
      await page.getByRole('group', { name: 'Keep up until' }).getByRole('button', { name: '+3 h' }).click();
      const row = page.getByRole('row', { name: /Keep up .* client demo admin/ });
      await row.waitFor();
      // The schedule is read again: the override's period is drawn on the week, named on hover.
      const period = page.locator('svg .tl-override').first();
      await period.waitFor({ state: 'attached' });
      expect(await period.locator('title').textContent()).toMatch(
        /^Override: Keep up until .* — client demo$/,
      );
      await checkPage(page, 'overrides');

      await row.getByRole('button', { name: 'Remove Keep up override' }).click();
      await page.getByText('No override in force').waitFor();
      await page.locator('svg .tl-override').first().waitFor({ state: 'detached' });
      const audit = await page.evaluate(async () => {
        const response = await fetch('/api/v1/audit?target=workspace:office');
        return ((await response.json()) as { items: Array<{ action: string }> }).items.map((e) => e.action);
      });
      expect(audit).toEqual(expect.arrayContaining(['override.add', 'override.remove']));
      await page.context().close();
    }, 120_000);

    it('an admin visits every page (no serious axe violation), runs a job, and sees a new token once', async () => {
      const page = await newPage();
      const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
      await logIn(page, 'admin', password);
      const nav = page.getByRole('navigation', { name: 'Main' });
      // The environments picture comes from ttl-environments.test.ts, where an environment has switches.
      const pages: Array<[link: string, heading: string, shot: string | null]> = [
        ['Jobs', 'Jobs', 'jobs'],
        ['Environments', 'Environments', null],
        ['Templates', 'Templates', 'templates'],
        ['Notifications', 'Notification deliveries', 'notifications'],
        ['Users', 'Users', 'users'],
        ['Audit', 'Audit log', 'audit'],
        ['Tokens', 'API tokens', 'tokens'],
      ];
      for (const [link, heading, shot] of pages) {
        await nav.getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await page.locator('.loading').first().waitFor({ state: 'detached' });
        if (shot) await checkPage(page, shot);
        else expect(await seriousA11yViolations(page), `axe on ${link}`).toEqual([]);
      }

      // The audit log lists this session's sign-in, and filters by action.
      await nav.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.getByLabel('Action').fill('auth.login');
      await page.getByRole('cell', { name: 'auth.login' }).first().waitFor();

      // A token's secret is shown once: after a reload only its name is listed.
      await nav.getByRole('link', { name: 'Tokens', exact: true }).click();
      await page.getByLabel('Name').fill('ci-deploy');
      await page.getByLabel('Role').selectOption('operator');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = (await page.getByTestId('new-token').textContent()) ?? '';
      expect(secret).toMatch(/^tide_/);
      await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();
      // No screenshot here: the picture would hold a token's secret.
      expect(await seriousA11yViolations(page), 'axe with a new token').toEqual([]);
      await page.reload();
      await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();
      expect(await page.getByTestId('new-token').count()).toBe(0);
      expect(await page.content()).not.toContain(secret);
      // Revoked: the server refuses it from then on.
      await page.getByRole('button', { name: 'Revoke ci-deploy' }).click();
      await page.getByText(/^revoked/).waitFor();
      expect(
        (await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } })).status,
      ).toBe(401);

      // Run now queues the job and opens its log.
      await nav.getByRole('link', { name: 'Jobs', exact: true }).click();
      await page.getByRole('button', { name: 'Run now: hello' }).click();
      await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
      await page.getByTestId('run-log').getByText('hello-from-job').first().waitFor();
      await page.context().close();
    }, 180_000);

    it('a viewer sees no deploy button, and a deploy forged from the page is refused', async () => {
      const page = await newPage();
      await logIn(page, 'vera', VIEWER_PASSWORD);
      await page.goto(`${url}/workspaces/slow`);
      await page.getByRole('heading', { name: 'slow' }).waitFor();
      await page.getByRole('heading', { name: 'This week' }).waitFor();
      expect(await page.getByRole('button', { name: 'Deploy' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Destroy' }).count()).toBe(0);
      // Navigation offers what the role may use.
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Jobs', exact: true }).waitFor();
      for (const hidden of ['Users', 'Audit', 'Notifications'])
        expect(await nav.getByRole('link', { name: hidden, exact: true }).count()).toBe(0);
      // The overrides in force are listed for everyone; adding or removing one is for operators.
      await page.getByRole('heading', { name: 'Overrides' }).waitFor();
      expect(await page.getByRole('button', { name: /\+1 h|Skip next|Add override|Remove/ }).count()).toBe(0);
      const forged = await page.evaluate(async () => {
        const { cookie } = (globalThis as unknown as { document: { cookie: string } }).document;
        const csrf = /tide_csrf=([^;]+)/.exec(cookie)?.[1] ?? '';
        const response = await fetch('/api/v1/workspaces/slow/deploy', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
          body: '{}',
        });
        return { status: response.status, body: (await response.json()) as { error: { code: string } } };
      });
      expect(forged.status).toBe(403);
      expect(forged.body.error.code).toBe('forbidden');
      await page.context().close();
    }, 120_000);

    it('renews an expired access cookie with the refresh cookie, without sending the person back to login', async () => {
      const page = await newPage();
      await logIn(page, 'vera', VIEWER_PASSWORD);
      // What the browser does when the 15-minute access cookie's Max-Age runs out.
      await page.context().clearCookies({ name: 'tide_access' });
      await page.goto(`${url}/runs`);
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
      const cookies = await page.context().cookies(url);
      expect(cookies.map((cookie) => cookie.name)).toContain('tide_access');
      await page.context().close();
    }, 120_000);

    it('breaks no rule of the page CSP, and the initial JavaScript stays under 250 KB gzipped', () => {
      expect(cspViolations).toEqual([]);
      const webDir = path.join(ROOT, 'dist/web');
      expect(existsSync(webDir)).toBe(true);
      expect(bundleSizes(webDir).initialGzip).toBeLessThan(BUDGET_BYTES);
    });
  },
);
