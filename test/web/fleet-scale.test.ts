/**
 * The fleet at the size issue 13 names: 1,000 workspaces loaded by a real `tide serve`, shown in Chromium.
 * Only the rows on screen exist in the DOM, and keyboard navigation and search still reach every one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium, newTestContext } from '../helpers/chromium.ts';
import { makeConfigDir, minimalTf } from '../helpers/config-dir.ts';
import { startServe, type ServedTide } from '../helpers/serve-process.ts';

const WORKSPACES = 1000;
const missing = browserMissing();
const name = (i: number) => `ws-${String(i).padStart(4, '0')}`;

describe.skipIf(missing !== null)(
  `the fleet with ${WORKSPACES} workspaces in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const files: Record<string, string | object> = {};
    for (let i = 0; i < WORKSPACES; i++) {
      files[`workspaces/${name(i)}/config.json`] = {
        enabled: true,
        description: `Workspace number ${i}`,
        deploy_schedule: `${i % 60} 8 * * 1-5`,
        destroy_schedule: `${i % 60} 19 * * 1-5`,
      };
      files[`workspaces/${name(i)}/main.tf`] = minimalTf;
    }
    const config = makeConfigDir(files);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-web-scale-'));
    let serve: ServedTide | null = null;
    let url = '';
    let browser: Browser;

    beforeAll(async () => {
      serve = await startServe(config.dir, dataDir);
      url = serve.url;
      browser = await launchChromium();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      config.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('lists every workspace while drawing only the rows on screen; End, search and the link reach the last', async () => {
      const page = await (await newTestContext(browser)).newPage();
      await page.goto(url);
      const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`${WORKSPACES} of ${WORKSPACES} workspaces`).waitFor();

      const fleet = page.getByRole('list', { name: 'Workspaces' });
      await fleet.getByRole('link', { name: name(0), exact: true }).waitFor();
      const drawn = await fleet.getByRole('listitem').count();
      expect(drawn).toBeGreaterThan(0);
      expect(drawn).toBeLessThan(100);

      // Keyboard: End moves to the last workspace, which the list then draws.
      await fleet.getByRole('link', { name: name(0), exact: true }).focus();
      await page.keyboard.press('End');
      await fleet.getByRole('link', { name: name(WORKSPACES - 1), exact: true }).waitFor();
      expect(await fleet.getByRole('listitem').count()).toBeLessThan(100);

      await page.getByLabel('Search').fill(name(500));
      await page.getByText(`1 of ${WORKSPACES} workspaces`).waitFor();
      await fleet.getByRole('link', { name: name(500), exact: true }).click();
      await page.getByRole('heading', { name: name(500) }).waitFor();
    });
  },
);
