import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

/**
 * The "real resource" is a file outside the workspace folder that the code reads: editing it by hand
 * changes neither the code nor Tide's content hash, only what the engine's plan finds.
 */
function watchedResourceTf(resource: string): string {
  return `
variable "workspace" { type = string }
variable "mode" {
  type    = string
  default = "default"
}
resource "terraform_data" "watched" { input = file("${resource}") }
resource "terraform_data" "steady" { input = "steady" }
`;
}

async function start(config: object, at: string) {
  const h = await daemonHarness({}, at);
  harnesses.push(h);
  const resource = path.join(h.sideEffects, 'real-resource.txt');
  writeFileSync(resource, 'size=small');
  h.write('workspaces/web/main.tf', watchedResourceTf(resource));
  h.write('workspaces/web/config.json', { enabled: true, ...config });
  await h.restart();
  return { h, resource };
}

describe('drift detection with the real daemon and engine', () => {
  it('finds a drift made by hand on the real resource with a scheduled real plan, shows it, and remediates it once in the open window', async () => {
    const { h, resource } = await start(
      {
        uptime: [{ from: '08:00', to: '19:00' }],
        drift_schedule: '0 * * * *',
        drift: { remediate: true },
      },
      '2027-06-01T10:30:00Z',
    );
    expect(await h.nextFinished()).toMatchObject({ action: 'deploy', trigger: 'window', state: 'succeeded' });

    h.clock.set('2027-06-01T11:00:00Z');
    const clean = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await clean).toMatchObject({ action: 'plan', trigger: 'schedule', state: 'succeeded' });
    expect((await h.api('GET', '/api/v1/workspaces/web')).body).toMatchObject({
      drifted: false,
      drift: { since: null, addresses: [] },
    });

    writeFileSync(resource, 'size=large');
    h.clock.set('2027-06-01T12:00:00Z');
    const check = h.nextFinished();
    await h.daemon.scheduler!.tick();
    const found = await check;
    expect(found).toMatchObject({ action: 'plan', trigger: 'schedule', state: 'succeeded' });
    const remediated = h.nextFinished();
    const drifted = (await h.api('GET', '/api/v1/workspaces?drifted=true')).body.items;
    expect(drifted).toMatchObject([
      {
        name: 'web',
        drifted: true,
        drift: { run_id: found.id, summary: found.plan_summary, addresses: ['terraform_data.watched'] },
      },
    ]);

    // Inside the window: the drift is deployed away at once, and the deploy clears it.
    expect(await remediated).toMatchObject({ action: 'deploy', trigger: 'schedule', state: 'succeeded' });
    expect((await h.api('GET', '/api/v1/workspaces/web')).body).toMatchObject({
      status: 'deployed',
      drifted: false,
    });
    const firings = (await h.api('GET', '/api/v1/workspaces/web/firings')).body.items;
    expect(
      firings.filter((f: { schedule_key: string }) => f.schedule_key === 'drift:remediate'),
    ).toMatchObject([{ outcome: 'fired', reason: 'drift remediation' }]);
    const metrics = await h.daemon.app!.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('tide_workspace_drifted{workspace="web"} 0');
    expect(metrics.body).toMatch(/tide_drift_checks_total\{outcome="drifted"\} 1/);
  });

  it('skips a scheduled drift check of a workspace that is not deployed', async () => {
    const { h } = await start({ drift_schedule: '0 * * * *' }, '2027-06-01T10:30:00Z');
    h.clock.set('2027-06-01T11:00:00Z');
    await h.daemon.scheduler!.tick();
    const firings = (await h.api('GET', '/api/v1/workspaces/web/firings')).body.items;
    expect(firings).toMatchObject([{ outcome: 'skipped', reason: 'not deployed (status destroyed)' }]);
    expect((await h.api('GET', '/api/v1/runs')).body.items).toEqual([]);
  });
});
