/**
 * The `template-registry` loop: every replica re-reads the shared registry, so a template added or
 * refreshed through another replica reaches this one's configuration (and with it the workspaces' content
 * hashes) within one interval, and fetches pinned commits it has no copy of before a run needs them.
 */
import { periodic, type Subsystem } from '../supervisor/subsystem.ts';
import type { Timers } from '../supervisor/timers.ts';
import type { TemplateService } from './template.service.ts';

export interface TemplateRegistryOptions {
  /** Default 15 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
  /** Called when the registry changed since the last read (the daemon re-assembles the configuration). */
  readonly onChange: () => void;
}

export function templateRegistryLoop(
  templates: Pick<TemplateService, 'load' | 'prefetch'>,
  options: TemplateRegistryOptions,
): Subsystem {
  return periodic(
    'template-registry',
    options.intervalMs ?? 15_000,
    async () => {
      if (await templates.load()) options.onChange();
      await templates.prefetch();
    },
    { ...(options.timers && { timers: options.timers }) },
  );
}
