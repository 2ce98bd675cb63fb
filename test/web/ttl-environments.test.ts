/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real `tide serve`
 * process with the real engine, for TTLs and environments: a deploy with a TTL shows a TTL badge in the
 * fleet and the TTL's end on the week timeline, and "Extend TTL by 1 h" moves that end an hour; an
 * environment is switched from its page (the confirmation names the target), which shows the health
 * check's result and the new assignment. The health check and the switch action are commands, so nothing
 * needs a network. axe-core finds no serious violation on the pages with data. Every wait is on a selector
 * or the API, never a sleep. With TIDE_SCREENSHOTS=1 (`npm run screenshots`) it saves the environments
 * page after the switch to docs/images/dashboard-environments.png.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserMissing,
  launchChromium,
  newTestContext,
  seriousA11yViolations,
} from '../helpers/chromium.ts';
import { makeConfigDir } from '../helpers/config-dir.ts';
import { loginAsInitialAdmin, startServe, waitFor, type ServedTide } from '../helpers/serve-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = process.env.TIDE_SCREENSHOTS === '1';
const missing = browserMissing();
const HOUR = 3_600_000;

/** A workspace an environment can point at: its target is the loopback address the check runs against. */
const servedTf = `
resource "terraform_data" "x" {}
output "load_balancers" { value = ["127.0.0.1"] }
`;

describe.skipIf(missing !== null)(
  `TTLs and environment switches in Chromium against tide serve${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-web-ttl-data-'));
    const config = makeConfigDir({
      // UTC, so the badge's wall-clock time is the API's instant as written.
      'workspaces/blue/config.json': { enabled: true, description: 'Live version', timezone: 'UTC' },
      'workspaces/blue/main.tf': servedTf,
      'workspaces/green/config.json': { enabled: true, description: 'Next version', timezone: 'UTC' },
      'workspaces/green/main.tf': servedTf,
      'environments/shop.json': {
        description: 'Shop front',
        domain: 'shop.example.com',
        reserved_ips: ['198.51.100.7'],
        assigned_workspace: 'blue',
        healthcheck: { type: 'command', command: '/usr/bin/test -n {server}', timeout: '10s' },
        action: { command: ['/usr/bin/true', '{reserved_ip}', '{resource}'] },
      },
    });
    let serve: ServedTide | null = null;
    let url = '';
    let admin = '';
    let browser: Browser;

    const api = async (method: string, route: string, body?: object) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    async function deploy(workspace: string, body: object = {}) {
      const queued = await api('POST', `/api/v1/workspaces/${workspace}/deploy`, body);
      expect(queued.status).toBe(202);
      const id = queued.json.id as string;
      const run = await waitFor(`the deploy of ${workspace}`, async () => {
        const { json } = await api('GET', `/api/v1/runs/${id}`);
        return json.state === 'queued' || json.state === 'running' ? null : json;
      });
      expect(run.state).toBe('succeeded');
    }

    beforeAll(async () => {
      serve = await startServe(config.dir, dataDir);
      url = serve.url;
      admin = await loginAsInitialAdmin(url, dataDir);
      // No schedule: a manual deploy with a ttl starts a TTL (docs/ttl.md).
      await deploy('blue', { ttl: '4h' });
      await deploy('green');
      browser = await launchChromium();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      config.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function adminPage(): Promise<Page> {
      const page = await (await newTestContext(browser)).newPage();
      const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
      await page.goto(url);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Fleet' }).waitFor();
      return page;
    }

    it('shows a TTL badge in the fleet and the TTL end on the week; Extend TTL moves the end by an hour', async () => {
      const ttl = (await api('GET', '/api/v1/workspaces/blue')).json.ttl as { destroy_at: string };
      const end = Date.parse(ttl.destroy_at);
      const page = await adminPage();
      const badge = page.getByText(`TTL ${ttl.destroy_at.slice(11, 16)}`, { exact: true });
      await badge.waitFor();
      expect(await badge.getAttribute('title')).toBe(
        `TTL: destroyed at ${ttl.destroy_at.slice(0, 10)} ${ttl.destroy_at.slice(11, 19)} UTC`,
      );
      // green has no TTL: one badge only.
      expect(await page.getByText(/^TTL \d\d:\d\d$/).count()).toBe(1);

      await page.goto(`${url}/workspaces/blue`);
      const marker = page.locator('svg .tl-ttl');
      await marker.waitFor({ state: 'attached' });
      expect(await marker.getAttribute('data-ttl-end')).toBe(ttl.destroy_at);
      expect(await marker.locator('title').textContent()).toMatch(/^TTL end: destroyed at /);
      await page.getByText(/^TTL: destroyed at/).waitFor();
      expect(await seriousA11yViolations(page), 'axe on the workspace page with a TTL').toEqual([]);

      await page.getByRole('button', { name: 'Extend TTL by 1 h' }).click();
      const extended = new Date(end + HOUR).toISOString();
      await page.locator(`svg .tl-ttl[data-ttl-end="${extended}"]`).waitFor({ state: 'attached' });
      await page.getByText(/extended; the deploy's TTL ended at/).waitFor();
      const after = (await api('GET', '/api/v1/workspaces/blue')).json.ttl;
      expect(after).toMatchObject({
        destroy_at: extended,
        ends_at: ttl.destroy_at,
        extended_until: extended,
      });
      await page.context().close();
    }, 120_000);

    it('switches the environment from its page: the confirmation names the target, then the health result and the new assignment', async () => {
      const page = await adminPage();
      await page.getByRole('link', { name: 'Environments' }).first().click();
      const card = page.getByRole('article', { name: 'shop' });
      await card.getByText('Never switched.').waitFor();
      expect(await card.getByRole('definition').filter({ hasText: 'blue' }).count()).toBe(1);
      await card.getByLabel('Switch to').selectOption('green');
      await card.getByRole('button', { name: 'Switch…' }).click();

      const dialog = page.getByRole('dialog', { name: 'Switch shop to green?' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('at green, now on blue');
      await dialog.getByLabel('Type shop to confirm').fill('shop');
      await dialog.getByRole('button', { name: 'Switch shop to green' }).click();

      const health = card.getByRole('list', { name: 'health check' }).first();
      await health.waitFor();
      expect(await health.textContent()).toMatch(/^✓ health check: .*127\.0\.0\.1/);
      await card
        .getByRole('definition')
        .filter({ hasText: /^green/ })
        .waitFor();
      expect(await card.locator('.switch-result').first().textContent()).toMatch(
        /^switched: blue → green by admin/,
      );
      expect(await seriousA11yViolations(page), 'axe on the environments page after a switch').toEqual([]);
      if (SCREENSHOTS)
        await page.screenshot({ path: path.join(ROOT, 'docs/images/dashboard-environments.png') });

      const shop = await api('GET', '/api/v1/environments/shop');
      expect(shop.json).toMatchObject({ assigned_workspace: 'green' });
      await page.context().close();
    }, 120_000);
  },
);
