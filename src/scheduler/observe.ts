import type { ConfigSnapshot } from '../config/config-model.ts';
import { environmentHolding, protectionReason } from '../environment/environment-protection.ts';
import type { Db } from '../store/schema.ts';
import { getWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { neverObserved, type Observed } from './observed.ts';
import { activeRunFor } from './scheduler.repo.ts';
import type { ScheduleUnit } from './schedule-units.ts';

/**
 * Reads what the scheduler decides on: the observed status, the run holding the unit's lock and, given
 * the config's snapshot, the environment holding the workspace.
 */
export async function observeUnit(db: Db, unit: ScheduleUnit, snapshot?: ConfigSnapshot): Promise<Observed> {
  const [status, active, holding] = await Promise.all([
    unit.workspace ? getWorkspaceStatus(db, unit.scope) : Promise.resolve(null),
    activeRunFor(db, unit.lockKey),
    unit.workspace && snapshot ? environmentHolding(db, snapshot, unit.scope) : Promise.resolve(null),
  ]);
  const environment = holding ? protectionReason(unit.scope, holding) : null;
  const activeRun =
    active && (active.state === 'queued' || active.state === 'running')
      ? { id: active.id, state: active.state, action: active.action }
      : null;
  if (!status) return { ...neverObserved, activeRun, environment };
  return {
    status: status.status,
    mode: status.mode,
    configHash: status.config_hash,
    statusChangedAt: status.status_changed_at ? new Date(status.status_changed_at) : null,
    enabledOverride: status.enabled_override,
    activeRun,
    environment,
    drifted: status.drifted,
    driftSince: status.drift_since ? new Date(status.drift_since) : null,
  };
}
