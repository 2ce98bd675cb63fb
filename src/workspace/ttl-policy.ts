/**
 * Binds the TTL rule (ttl.ts) to the configuration in force: the workspace's `ttl` and what its schedules
 * want at the instant the run finished.
 */
import type { EffectiveConfig } from '../config/effective-config.ts';
import { desiredStateAt } from '../schedule/desired-state.ts';
import { ttlEffectOfRun, type TtlEffect, type TtlRunFacts } from './ttl.ts';

export function ttlPolicy(
  config: () => EffectiveConfig,
): (run: TtlRunFacts & { readonly workspace: string }, now: Date) => TtlEffect {
  return (run, now) => {
    const current = config();
    const definition = current.workspaces.get(run.workspace)?.definition;
    // A workspace no longer configured (or broken): a destroy still clears its TTL, nothing sets one.
    if (!definition) return run.state === 'succeeded' && run.action === 'destroy' ? { kind: 'clear' } : null;
    const desired = desiredStateAt(definition, current.snapshot.calendars, now);
    return ttlEffectOfRun(run, { workspaceTtlMs: definition.ttlMs, desiredUp: desired.state === 'up', now });
  };
}
